from django.apps import AppConfig


class Config(AppConfig):
    verbose_name = "单位与人员"
    name = "duban.orgs"
    label = "orgs"
    default_auto_field = "django.db.models.BigAutoField"
