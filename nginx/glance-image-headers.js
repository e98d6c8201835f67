// Restores the image metadata headers on downloads.  glance-api answers a
// download with X-Accel-Redirect plus X-Glance-Image-Headers, a JSON list of
// [name, value] pairs (ASCII, non-ASCII escaped); nginx drops the worker's
// other headers on the internal redirect, so this header filter of the
// internal location sets each pair on the response.  The internal location
// copies the header to $glance_image_headers before anything else: in a
// proxied location $upstream_http_* name the proxied source's headers.
function restore(r) {
    var packed = r.variables.glance_image_headers;
    if (!packed) {
        return;
    }
    var pairs;
    try {
        pairs = JSON.parse(packed);
    } catch (e) {
        r.error('glance: malformed X-Glance-Image-Headers: ' + e);
        return;
    }
    for (var i = 0; i < pairs.length; i++) {
        r.headersOut[pairs[i][0]] = pairs[i][1];
    }
}

// Refusals of the pre-flight (nginx/glance-api.conf.in): the refusal
// location answers `return <status>;`, so nginx sends its own error page
// without reading the request body (and without "100 Continue"); these
// filters turn that page into the API's answer that the worker put in the
// X-Glance-Refusal-* headers (body in base64), or into the location's
// fixed text ($glance_fixed_refusal).
function refusalBody(r) {
    var fixed = r.variables.glance_fixed_refusal;
    if (fixed) {
        return Buffer.from(fixed);
    }
    var encoded = r.variables.glance_refusal_body || '';
    return Buffer.from(encoded, 'base64');
}

function refusalHeaders(r) {
    var body = refusalBody(r);
    var fixed = r.variables.glance_fixed_refusal;
    r.headersOut['Content-Type'] = fixed ? 'text/plain' : (r.variables.glance_refusal_type || 'text/plain');
    r.headersOut['Content-Length'] = String(body.length);
    if (!fixed && r.variables.glance_refusal_allow) {
        r.headersOut['Allow'] = r.variables.glance_refusal_allow;
    }
    if (!fixed && r.variables.glance_refusal_authenticate) {
        r.headersOut['WWW-Authenticate'] = r.variables.glance_refusal_authenticate;
    }
    if (!fixed && r.variables.glance_refusal_accept_patch) {
        r.headersOut['Accept-Patch'] = r.variables.glance_refusal_accept_patch;
    }
    if (r.variables.glance_refusal_request_id) {
        r.headersOut['x-openstack-request-id'] = r.variables.glance_refusal_request_id;
    }
}

function refusalBodyFilter(r, data, flags) {
    if (flags.last) {
        r.sendBuffer(refusalBody(r), {last: true});
    }
}

export default {restore, refusalHeaders, refusalBodyFilter};
