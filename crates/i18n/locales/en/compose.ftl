compose-continue = Continue
compose-check-title = Check your message before sending it
compose-check-warning = When you send it, the message and its attachments are delivered as they are, with evidence of sending that has legal effect; a message that has been sent cannot be withdrawn.
compose-check-send = Send the message
compose-check-change = Change the message
compose-check-postal = By post to
compose-check-no-attachments = No attachments
