from django.apps import AppConfig


class Config(AppConfig):
    verbose_name = "活动"
    name = "duban.campaigns"
    label = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"
