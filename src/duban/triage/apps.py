from django.apps import AppConfig


class Config(AppConfig):
    name = "duban.triage"
    label = "triage"
    verbose_name = "分拣与热点"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # New suggestions get the router's top three as they arrive, so the inbox only reads.
        from duban.intake.services import on_arrival
        from duban.triage.services import predict_arrived

        on_arrival(predict_arrived)
