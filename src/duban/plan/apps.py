from django.apps import AppConfig


class Config(AppConfig):
    name = "duban.plan"
    label = "plan"
    verbose_name = "任务分工"
    default_auto_field = "django.db.models.BigAutoField"
