from django.urls import path

from duban.triage import views

app_name = "triage"
urlpatterns = [
    path("hot/", views.hot, name="hot"),
    path("hot/run/", views.hot_run, name="hot_run"),
    path("hot/<int:pk>/", views.hot_issue, name="hot_issue"),
    path("models/", views.models, name="models"),
    path("models/train/", views.train, name="train"),
    path("route/<int:pk>/", views.route, name="route"),
    path("reply-check/<int:pk>/", views.reply_check, name="reply_check"),
]
