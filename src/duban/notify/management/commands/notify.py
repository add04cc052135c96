"""`duban notify send` delivers what the outbox holds (once; the worker does it continuously);
`duban notify test dingtalk|wecom|email TARGET [--secret S]` sends one message now and
exits non-zero with the reason when it does not arrive (DESIGN §5)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from duban.notify.senders import SendError
from duban.notify.services import outbox_deliver_due, send_now

CHANNELS = {"dingtalk": "钉钉群", "wecom": "企业微信群", "email": "邮箱"}


class Command(BaseCommand):
    help = "通知：send 发出到期的通知；test 向钉钉群、企业微信群或邮箱发一条测试消息"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="send|test")
        send = sub.add_parser("send", help="发出到期的待发通知（合并同一群的消息，遵守每分钟 20 条的限制）")
        send.add_argument("--limit", type=int, default=500, help="本次最多处理多少条（默认 500）")
        test = sub.add_parser("test", help="立即发一条测试消息，失败时以非零状态退出")
        test.add_argument("channel", choices=sorted(CHANNELS), help="dingtalk（钉钉）、wecom（企业微信）或 email（邮件）")
        test.add_argument("target", help="机器人的 Webhook 地址，或邮箱地址（多个用逗号分隔）")
        test.add_argument("--secret", default="", help="钉钉机器人“加签”的密钥（SEC 开头）")

    def handle(self, *args, **opts):
        if opts["action"] == "send":
            report = outbox_deliver_due(limit=opts["limit"])
            self.stdout.write(str(report))
            for err in dict.fromkeys(report.errors):
                self.stdout.write(f"  {err}")
            return
        channel, target = opts["channel"], opts["target"]
        if channel != "dingtalk" and opts["secret"]:
            raise CommandError("--secret 只用于钉钉机器人的加签")
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        try:
            send_now(channel, target, subject="督办测试消息",
                     body=f"这是一条来自督办的测试消息（{stamp}）。收到即说明通知渠道设置正确。", secret=opts["secret"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except SendError as exc:
            raise CommandError(f"发送失败：{exc.message}") from exc
        self.stdout.write(f"已发送到{CHANNELS[channel]}")
