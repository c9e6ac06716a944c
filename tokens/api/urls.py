app_name = "tokens-api"
urlpatterns = []
