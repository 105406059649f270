from django.urls import path

from conversation import views

urlpatterns = [
    path("", views.chat, name="home"),
    path("c/<uuid:session_id>/", views.chat, name="chat"),
    path("c/<uuid:session_id>/messages/", views.messages_fragment, name="chat-messages"),
    path("sidebar/", views.sidebar_fragment, name="chat-sidebar"),
    path("sidebar/folders/", views.folders_fragment, name="chat-folders"),
    path("archived/", views.archived, name="archived"),
    path("archived/<uuid:session_id>/unarchive/", views.archived_restore, name="archived-restore"),
    path("trash/", views.trash, name="trash"),
    path("trash/empty/", views.trash_empty, name="trash-empty"),
    path("trash/<uuid:session_id>/restore/", views.trash_restore, name="trash-restore"),
    path("trash/<uuid:session_id>/delete/", views.trash_delete, name="trash-delete"),
]
