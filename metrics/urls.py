from django.urls import path

from metrics.views import PrometheusView

app_name = "metrics"
urlpatterns = [
    path("metrics", PrometheusView.as_view(), name="prometheus"),
]
