#include "glance/auth/keystone_auth.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "identity_client.h"
#include "token_cache.h"

namespace glance::auth {

namespace {

constexpr const char* kAuthenticationRequired = "The request you have made requires authentication.";
constexpr const char* kIdentityUnavailable =
    "The identity service cannot validate the token now; try again later.";
// The service token is renewed this long before it expires (as
// keystoneauth does), so no validation is sent with a token about to lapse.
constexpr std::time_t kServiceTokenMargin = 60;
// Longer than any token a Keystone issues, and Keystone's own limit on
// header sizes: such a header is refused without asking.
constexpr size_t kMaxTokenBytes = 8192;

// Tokens are printable ASCII (fernet: base64url; JWS: base64url and '.').
bool PlausibleToken(const std::string& token) {
  if (token.empty() || token.size() > kMaxTokenBytes) return false;
  return std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

void SleepToNextSecond() {
  auto now = std::chrono::system_clock::now();
  std::this_thread::sleep_until(std::chrono::ceil<std::chrono::seconds>(now) + std::chrono::milliseconds(20));
}

std::string Short(const std::string& token) {
  static const char* hex = "0123456789abcdef";
  std::string digest = TokenDigest(token), out;
  for (size_t i = 0; i < 6; ++i) {
    out += hex[static_cast<unsigned char>(digest[i]) >> 4];
    out += hex[static_cast<unsigned char>(digest[i]) & 15];
  }
  return "token sha256:" + out;
}

}  // namespace

class KeystoneAuthMode::Impl {
 public:
  Impl(ContextOptions context, KeystoneOptions keystone)
      : context_(std::move(context)), keystone_(keystone), client_(std::move(keystone)) {}

  Status Authenticate(const HeaderLookup& header, RequestContext* context) const {
    auto token = header("X-Auth-Token");
    if (!token || token->empty()) token = header("X-Storage-Token");
    if (!token || token->empty()) {
      if (context_.allow_anonymous_access) {
        context->read_only = true;
        return Status::Ok();
      }
      return Status::Unauthorized(kAuthenticationRequired);
    }
    TokenIdentity user;
    Status s = Identify(*token, context->request_id, &user);
    if (!s.ok()) return s;
    if (auto service = header("X-Service-Token"); service && !service->empty()) {
      s = CheckServiceToken(*service, context->request_id);
      if (!s.ok()) return s;
    }
    for (const std::string* id : {&user.user_id, &user.project_id}) {
      s = ValidateMetadataText(*id, 255, "Identity");
      if (!s.ok()) return Status::Unavailable(kIdentityUnavailable);
    }
    context->user = user.user_id;
    if (!user.project_id.empty()) context->tenant = user.project_id;
    context->roles = user.roles;
    context->is_admin = std::find(user.roles.begin(), user.roles.end(), context_.admin_role) != user.roles.end();
    context->owner = context_.owner_is_tenant ? context->tenant : context->user;
    return Status::Ok();
  }

  std::string Challenge() const {
    std::string uri = keystone_.www_authenticate_uri.empty() ? keystone_.auth_url
                                                              : keystone_.www_authenticate_uri;
    return "Keystone uri=\"" + uri + "\"";
  }

 private:
  // The identity of `token`: from the cache, else from Keystone (then kept).
  Status Identify(const std::string& token, const std::string& request_id, TokenIdentity* out) const {
    if (!PlausibleToken(token)) return Status::Unauthorized(kAuthenticationRequired);
    std::time_t now = std::time(nullptr);
    if (auto cached = cache_.Find(token, now)) {
      if (DebugLogging()) {
        Log(LogLevel::kDebug, request_id, "keystone: " + Short(token) + " answered from the cache");
      }
      if (!cached->valid) return Status::Unauthorized(kAuthenticationRequired);
      *out = std::move(*cached);
      return Status::Ok();
    }
    std::string service;
    Status s = ServiceToken("", &service);
    if (!s.ok()) {
      Log(LogLevel::kError, request_id, "keystone: " + s.message());
      return Status::Unavailable(kIdentityUnavailable);
    }
    std::string detail;
    Verdict verdict = client_.Validate(service, token, out, &detail);
    // Our own token expired or was revoked early: a new one, and a retry.
    // Keystone also revokes the tokens issued in the same second as a
    // revocation event (fernet times have whole seconds), so a second new
    // token is issued in the next second.
    for (int attempt = 0; attempt < 2 && verdict == Verdict::kServiceRefused; ++attempt) {
      Log(LogLevel::kInfo, request_id, "keystone: the service token was refused; issuing a new one");
      if (attempt == 1) SleepToNextSecond();
      s = ServiceToken(service, &service);
      if (!s.ok()) {
        Log(LogLevel::kError, request_id, "keystone: " + s.message());
        return Status::Unavailable(kIdentityUnavailable);
      }
      verdict = client_.Validate(service, token, out, &detail);
    }
    now = std::time(nullptr);
    if (verdict == Verdict::kValid && out->expires_at <= now) verdict = Verdict::kInvalid;
    switch (verdict) {
      case Verdict::kValid: {
        std::time_t until = std::min<std::time_t>(out->expires_at, now + keystone_.token_cache_time);
        if (until > now) cache_.Store(token, *out, until);
        Log(LogLevel::kDebug, request_id, "keystone: " + Short(token) + " is valid for user " + out->user_id);
        return Status::Ok();
      }
      case Verdict::kInvalid: {
        int keep = std::min(keystone_.invalid_token_cache_time, keystone_.token_cache_time);
        if (keep > 0) cache_.Store(token, TokenIdentity(), now + keep);
        Log(LogLevel::kDebug, request_id, "keystone: " + Short(token) + " is not valid (" + detail + ")");
        return Status::Unauthorized(kAuthenticationRequired);
      }
      case Verdict::kServiceRefused:
        Log(LogLevel::kError, request_id,
            "keystone: freshly issued service tokens were refused too (" + detail + ")");
        return Status::Unavailable(kIdentityUnavailable);
      case Verdict::kForbidden:
        Log(LogLevel::kError, request_id,
            "keystone: user " + keystone_.username +
                " may not validate tokens: give it the service (or admin) role (" + detail + ")");
        return Status::Unavailable(kIdentityUnavailable);
      case Verdict::kUnavailable:
        break;
    }
    Log(LogLevel::kWarning, request_id, "keystone: cannot validate a token: " + detail);
    return Status::Unavailable(kIdentityUnavailable);
  }

  // X-Service-Token (a service acting for the user): valid, and with one of
  // service_token_roles when they are required.
  Status CheckServiceToken(const std::string& token, const std::string& request_id) const {
    TokenIdentity service;
    Status s = Identify(token, request_id, &service);
    if (!s.ok()) return s;
    bool has_role = std::any_of(service.roles.begin(), service.roles.end(), [this](const std::string& r) {
      return std::find(keystone_.service_token_roles.begin(), keystone_.service_token_roles.end(), r) !=
             keystone_.service_token_roles.end();
    });
    if (has_role) return Status::Ok();
    if (keystone_.service_token_roles_required) return Status::Unauthorized(kAuthenticationRequired);
    Log(LogLevel::kWarning, request_id,
        "keystone: an X-Service-Token without any of the service_token_roles was accepted "
        "(service_token_roles_required is false)");
    return Status::Ok();
  }

  // The service's own token, issued when there is none, when it is about to
  // expire, or when Keystone refused `refused` (the token a caller used).
  Status ServiceToken(const std::string& refused, std::string* token) const {
    std::lock_guard<std::mutex> lock(service_mutex_);
    std::time_t now = std::time(nullptr);
    if (!refused.empty() && refused == service_.token) service_ = IssuedToken();
    if (service_.token.empty() || service_.expires_at - kServiceTokenMargin <= now) {
      IssuedToken fresh;
      Status s = client_.IssueServiceToken(&fresh);
      if (!s.ok()) return s;
      service_ = std::move(fresh);
    }
    *token = service_.token;
    return Status::Ok();
  }

  ContextOptions context_;
  KeystoneOptions keystone_;
  IdentityClient client_;
  mutable TokenCache cache_;
  mutable std::mutex service_mutex_;
  mutable IssuedToken service_;
};

KeystoneAuthMode::KeystoneAuthMode(ContextOptions context, KeystoneOptions keystone)
    : impl_(std::make_unique<Impl>(std::move(context), std::move(keystone))) {}
KeystoneAuthMode::~KeystoneAuthMode() = default;

Status KeystoneAuthMode::Authenticate(const HeaderLookup& header, RequestContext* context) const {
  return impl_->Authenticate(header, context);
}

std::string KeystoneAuthMode::Challenge() const { return impl_->Challenge(); }

std::unique_ptr<Authenticator> MakeApiAuthenticator(const ContextOptions& context,
                                                    const KeystoneOptions& keystone) {
  if (context.mode == AuthMode::kKeystone) return std::make_unique<KeystoneAuthMode>(context, keystone);
  return MakeAuthenticator(context);
}

}  // namespace glance::auth
