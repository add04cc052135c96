from django.apps import AppConfig


class Config(AppConfig):
    name = "duban.ledger"
    label = "ledger"
    verbose_name = "整改台账"
    default_auto_field = "django.db.models.BigAutoField"
