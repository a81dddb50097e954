# The clerk's own visits: the list on the start page and the record of an ended visit.
visit-list-title = Your visits
visit-list-action = Action
visit-citizen = Person served
visit-started = Started
visit-ended = Ended
visit-open = Open
visit-continue = Continue
visit-record-link = Record
visit-ended-title = Record of a visit
visit-back-to-start = Back to assisted service
visit-receipts = Receipts
visit-no-receipts = No payment was taken during this visit.
visit-receipt-reprint = Show and reprint
visit-ended-privacy = The person's mailbox is not shown here: you could see it only while they were at the counter.
