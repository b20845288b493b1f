from backend.errors import DomainError, TooManyRequests


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    message_zh = "请先登录"
    message_en = "Authentication required"


class InvalidToken(DomainError):
    code = "invalid_token"
    status = 401
    message_zh = "登录已失效，请重新登录"
    message_en = "The session token is invalid, expired or revoked"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    message_zh = "账号或密码错误"
    message_en = "Wrong login or password"


class InvalidWechatCode(DomainError):
    code = "invalid_wechat_code"
    status = 401
    message_zh = "微信登录凭证无效或已使用"
    message_en = "The WeChat login code is invalid or already used"


class WechatUnavailable(DomainError):
    code = "wechat_unavailable"
    status = 502
    message_zh = "微信服务暂时不可用"
    message_en = "WeChat is temporarily unavailable"


class AccountExists(DomainError):
    code = "account_exists"
    status = 409
    message_zh = "该用户名或手机号已被使用"
    message_en = "That username or phone number is already taken"


class AlreadyBound(DomainError):
    code = "wechat_already_bound"
    status = 409
    message_zh = "该微信已绑定其他账号"
    message_en = "This WeChat identity is already bound to another account"


class LoginLocked(TooManyRequests):
    code = "login_locked"
    message_zh = "密码错误次数过多，账号已暂时锁定，请稍后再试"
    message_en = "Too many wrong passwords: this account is locked for a while; try again later"


class LoginThrottled(TooManyRequests):
    code = "login_rate_limited"
    message_zh = "登录失败次数过多，请稍后再试"
    message_en = "Too many failed logins from this address; try again later"
