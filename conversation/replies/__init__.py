"""The reply service: store the user's message, stream the assistant's reply, store the reply.

One rule for every door (the API, the socket):
- One reply at a time per session. The reply is claimed (a ReplyInFlight row) before the user's
  message is stored, so a message sent while another is being answered is refused (ReplyBusy)
  and stored nowhere: no u1 u2 a1 a2.
- The user's message is committed before the model is called, so it is never lost whatever the
  model does. The reply is stored when the stream ends: complete, cut short by an error or the
  deadline (the partial text, the error in its metadata), or interrupted by the caller (the
  partial text, marked so).
- A retry with the same client_id stores no second user message. While the first reply is being
  written it joins it (never a second model call); after a completed reply it answers the stored
  one; after a reply that ended in an error or was interrupted it asks the model again, stored as
  a new attempt (client_id `{id}:reply:2`, `:reply:3`, ...; reply_client_id keeps every derived id
  within MAX_CLIENT_ID_CHARS), so an error is never replayed forever.
- No database connection is held while the model streams: the claim and the user's message take
  one briefly, the stored reply another.

Modules: claim (the claim and the budget), turn (reply_begin: claim, store the message, the
window), stream (reply_events), store (the stored reply), progress (the text so far in the cache).
"""
