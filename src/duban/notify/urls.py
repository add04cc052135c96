from django.urls import path

from duban.notify import views

app_name = "notify"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("channels/", views.channel_list, name="channels"),
    path("channels/<int:unit_pk>/", views.channel_edit, name="channel_edit"),
]
