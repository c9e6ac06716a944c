app_name = "containers"
urlpatterns = []
