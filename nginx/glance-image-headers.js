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

export default {restore};
