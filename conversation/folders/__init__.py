"""A user's folders of chats (docs/folders.md): the services that write them and move chats into
them (services.py) and the selectors that read them (selectors.py)."""
