import os

from django.core.wsgi import get_wsgi_application

from lwp.datadir import use_private_umask

use_private_umask()  # files the app creates (database, sessions) are root's alone, whatever the server
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lwp.settings")
application = get_wsgi_application()
