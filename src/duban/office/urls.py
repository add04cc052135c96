from django.urls import path

from duban.office import views

app_name = "office"
urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("background/", views.background, name="background"),
    path("background/<int:pk>/", views.schedule_edit, name="schedule_edit"),
]
