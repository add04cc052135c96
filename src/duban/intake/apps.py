from django.apps import AppConfig


class Config(AppConfig):
    name = "duban.intake"
    label = "intake"
    verbose_name = "意见建议"
    default_auto_field = "django.db.models.BigAutoField"
