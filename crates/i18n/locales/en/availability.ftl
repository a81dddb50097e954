away-title = When I do not receive people
away-intro = Enter a time when you do not receive people (a training, leave). The slots you serve then offer fewer places at once, and none when nobody else receives. People already booked keep their bookings. Days when a colleague substitutes for you (substitutions) count the same way.
away-none = You have no times away.
away-from = From
away-until = Until
away-note = Reason (only colleagues see it)
away-booked = Bookings in this time
away-booked-n = { $n ->
    [one] 1 person booked — ask a colleague to receive them or move the booking
   *[other] { $n } people booked — ask a colleague to receive them or move the bookings
}
away-booked-none = none
away-remove = Remove
away-add = Add a time away
away-hint = Without times: the whole day. Without a last day: one day.
away-first-day = First day
away-from-time = From (e.g. 08:00)
away-last-day = Last day
away-until-time = Until (e.g. 12:00)
away-save = Save the time away
calendar-away = When I do not receive people
notice-away-added = Saved. The free places in that time are fewer now.
notice-away-removed = Removed. The free places are back.
err-away-day = Enter a day as YYYY-MM-DD.
err-away-time = Enter a time as HH:MM, e.g. 08:00.
err-away-order = The end must come after the start.
err-away-past = That time is over.
err-away-long = One time away lasts a year at most.
err-away-moment = Enter a moment as RFC 3339, e.g. 2026-12-10T08:00:00+01:00.
err-away-note = The reason is 200 characters at most.
err-appt-officials = Choose officials of this office (50 at most).
appt-admin-officials = Who receives people (optional)
appt-admin-officials-hint = With officials chosen, their times away make the places fewer: each has an equal share of a slot's places.
action-availability-away = An official's time away added
action-availability-back = An official's time away removed
appt-admin-received-by = Received by
