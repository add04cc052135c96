from django.urls import path

from duban.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("import/", views.unit_import, name="unit_import"),
    path("search/", views.unit_search, name="unit_search"),
    path("<int:pk>/", views.unit_detail, name="unit_detail"),
]
