app_name = "containers-api"
urlpatterns = []
