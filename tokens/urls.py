from django.urls import path

from tokens import views

app_name = "tokens"
urlpatterns = [
    path("tokens/", views.token_list, name="list"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="revoke"),
]
