from django.urls import path

from conversation import views

urlpatterns = [
    path("", views.chat, name="home"),
    path("c/<uuid:session_id>/", views.chat, name="chat"),
    path("c/<uuid:session_id>/messages/", views.messages_fragment, name="chat-messages"),
    path("sidebar/", views.sidebar_fragment, name="chat-sidebar"),
]
