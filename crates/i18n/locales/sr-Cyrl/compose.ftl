compose-continue = Настави
compose-check-title = Проверите поруку пре слања
compose-check-warning = Када је пошаљете, порука и прилози стижу примаоцима такви какви јесу, са доказом о слању који има правно дејство; послата порука се не може повући.
compose-check-send = Пошаљи поруку
compose-check-change = Измени поруку
compose-check-postal = Писмом на адресу
compose-check-no-attachments = Без прилога
