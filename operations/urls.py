from django.urls import path

from operations import views

app_name = "operations"
urlpatterns = [
    path("operations/", views.operation_list, name="list"),
    path("operations/<uuid:operation_id>/", views.detail, name="detail"),
    path("operations/<uuid:operation_id>/cancel/", views.cancel, name="cancel"),
    path("activity/", views.activity, name="activity"),
]
