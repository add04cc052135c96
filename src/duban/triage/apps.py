from django.apps import AppConfig


class Config(AppConfig):
    name = "duban.triage"
    label = "triage"
    verbose_name = "分拣与热点"
    default_auto_field = "django.db.models.BigAutoField"
