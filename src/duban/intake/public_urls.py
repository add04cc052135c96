from django.urls import path

from duban.intake import public_views

app_name = "public"
urlpatterns = [
    path("", public_views.submit, name="submit"),
    path("t/", public_views.lookup, name="lookup"),
    path("t/<str:code>/", public_views.status, name="status"),
]
