compose-continue = Nastavi
compose-check-title = Proverite poruku pre slanja
compose-check-warning = Kada je pošaljete, poruka i prilozi stižu primaocima takvi kakvi jesu, sa dokazom o slanju koji ima pravno dejstvo; poslata poruka se ne može povući.
compose-check-send = Pošalji poruku
compose-check-change = Izmeni poruku
compose-check-postal = Pismom na adresu
compose-check-no-attachments = Bez priloga
