notice-message-sent-ref = Message sent. Its reference is { $reference } (give it when you call about it); evidence { $evidence }.
message-reference = Reference
