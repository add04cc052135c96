from django.urls import path

from duban.intake import views, workflow_views

app_name = "intake"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.new, name="new"),
    path("import/", views.import_view, name="import"),
    path("export/", views.export, name="export"),
    path("channels/", views.channels, name="channels"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/steps/<str:name>/", workflow_views.transition, name="transition"),
    path("<int:pk>/callbacks/", workflow_views.callback, name="callback"),
    path("<int:pk>/to-problem/", views.to_problem, name="to_problem"),
    path("<int:pk>/join-problem/", views.join_problem, name="join_problem"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
