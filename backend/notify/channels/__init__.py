"""企业微信 (WeCom) and 钉钉 (DingTalk): alerts that reach phones in mainland China.

    settings   each channel's app (environment or admin screen; the secret encrypted, never shown)
    accounts   users' WeCom / DingTalk userids (admin screen, roster import columns)
    client     JSON over libcurl, the shared access-token cache, refresh-and-resend-once
    wecom      application messages (textcard)
    dingtalk   work notifications (action_card)
    delivery   one row per notification and channel, claimed and retried like Web Push
"""
from backend.notify.channels.delivery import cancel_pending, deliver_due, next_due, schedule

__all__ = ["cancel_pending", "deliver_due", "next_due", "schedule"]
