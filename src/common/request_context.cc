#include "glance/common/request_context.h"

#include "glance/common/auth_mode.h"

#include "glance/common/text.h"
#include "glance/common/uuid.h"

namespace glance {

ContextOptions ContextOptions::FromConfig(const Config& config) {
  ContextOptions options;
  std::string flavor = ToLower(config.GetString("paste_deploy", "flavor", ""));
  if (flavor.empty() || flavor == "noauth" || flavor == "unauthenticated-context") {
    options.mode = AuthMode::kNoAuth;
  } else if (flavor == "trusted-auth") {
    options.mode = AuthMode::kTrustedAuth;
  } else if (flavor == "keystone") {
    options.mode = AuthMode::kKeystone;
  } else {
    throw ConfigError("[paste_deploy] flavor = '" + flavor +
                      "' is not supported: use noauth (empty), trusted-auth or keystone");
  }
  options.admin_role = ToLower(config.GetString("DEFAULT", "admin_role", "admin"));
  options.owner_is_tenant = config.GetBool("DEFAULT", "owner_is_tenant", true);
  options.allow_anonymous_access = config.GetBool("DEFAULT", "allow_anonymous_access", false);
  return options;
}

std::string ResolveRequestId(const std::optional<std::string>& supplied) {
  if (supplied && !supplied->empty() && supplied->size() <= 64) {
    bool clean = true;
    for (char c : *supplied) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.';
      if (!ok) {
        clean = false;
        break;
      }
    }
    if (clean) return supplied->rfind("req-", 0) == 0 ? *supplied : "req-" + *supplied;
  }
  return "req-" + NewUuid();
}

namespace {

std::optional<std::string> FirstHeader(const HeaderLookup& header,
                                       std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto value = header(name);
    if (value && !value->empty()) return value;
  }
  return std::nullopt;
}

}  // namespace

Status BuildRequestContext(const ContextOptions& options, const HeaderLookup& header,
                           RequestContext* context) {
  *context = RequestContext();
  context->request_id = ResolveRequestId(header("X-Openstack-Request-Id"));
  if (options.mode == AuthMode::kNoAuth) return NoAuthMode().Authenticate(header, context);
  return TrustedAuthMode(options).Authenticate(header, context);
}

std::unique_ptr<Authenticator> MakeAuthenticator(const ContextOptions& options) {
  if (options.mode == AuthMode::kNoAuth) return std::make_unique<NoAuthMode>();
  return std::make_unique<TrustedAuthMode>(options);
}

Status NoAuthMode::Authenticate(const HeaderLookup&, RequestContext* context) const {
  context->is_admin = true;
  return Status::Ok();
}

Status TrustedAuthMode::Authenticate(const HeaderLookup& header, RequestContext* context) const {
  const ContextOptions& options = options_;
  auto identity = header("X-Identity-Status");
  if (!identity || *identity != "Confirmed") {
    if (options.allow_anonymous_access) {
      context->read_only = true;
      return Status::Ok();
    }
    return Status::Unauthorized("This server could not verify that you are authorized to "
                                "access the document you requested.");
  }

  context->user = FirstHeader(header, {"X-User-Id", "X-User"});
  context->tenant = FirstHeader(header, {"X-Project-Id", "X-Tenant-Id", "X-Tenant"});
  // X-Roles is comma separated, each role stripped (oslo.context
  // from_environ).  Empty elements, as in "a,b," that some proxies send,
  // name no role and are dropped rather than refused; upstream keeps them
  // as "" roles, which match nothing, so the context is the same.
  if (auto roles = header("X-Roles")) {
    for (const std::string& role : SplitAndTrim(*roles, ',')) {
      context->roles.push_back(ToLower(role));
    }
  }
  for (const auto* id : {&context->user, &context->tenant}) {
    if (*id) {
      Status valid = ValidateMetadataText(**id, 255, "Identity header");
      if (!valid.ok()) return valid;
    }
  }
  // A role is identity text like the ids (spec §20.1): control characters,
  // bytes that are not UTF-8 and over-long names are refused, not forwarded.
  for (const std::string& role : context->roles) {
    Status valid = ValidateMetadataText(role, 255, "Identity header");
    if (!valid.ok()) return valid;
  }
  for (const std::string& role : context->roles) {
    if (role == options.admin_role) context->is_admin = true;
  }
  context->owner = options.owner_is_tenant ? context->tenant : context->user;
  return Status::Ok();
}

std::string LogTag(const RequestContext& context) {
  return (context.request_id.empty() ? std::string("-") : context.request_id) + " " +
         context.user.value_or("-") + " " + context.tenant.value_or("-") + " - - -";
}

}  // namespace glance
