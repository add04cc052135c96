"""The rounds' pages (调度报送)."""

from django.urls import path

from duban.rounds import views

app_name = "rounds"

urlpatterns: list = [
    path("", views.index, name="index"),
    path("new/", views.round_new, name="round_new"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/chase/", views.round_chase, name="chase"),
    path("<int:pk>/summary.xlsx", views.summary_xlsx, name="summary_xlsx"),
    path("submission/<int:pk>/", views.submission, name="submission"),
    path("submission/<int:pk>/return/", views.submission_return, name="return"),
    path("cadences/", views.cadences, name="cadences"),
    path("cadences/new/", views.cadence_edit, name="cadence_new"),
    path("cadences/<int:pk>/", views.cadence_edit, name="cadence_edit"),
    path("cadences/<int:pk>/toggle/", views.cadence_toggle, name="cadence_toggle"),
    path("punctuality/", views.punctuality, name="punctuality"),
]
