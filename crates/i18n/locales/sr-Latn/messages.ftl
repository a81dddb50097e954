notice-message-sent-ref = Poruka je poslata. Njen referentni broj je { $reference } (navedite ga kada zovete u vezi s njom); dokaz { $evidence }.
message-reference = Referentni broj
