# django
