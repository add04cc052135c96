from django.urls import path

from duban.audit import views

app_name = "audit"
urlpatterns = [path("", views.audit_events, name="list")]
