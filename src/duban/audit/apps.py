from django.apps import AppConfig


class Config(AppConfig):
    verbose_name = "审计日志"
    name = "duban.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"
