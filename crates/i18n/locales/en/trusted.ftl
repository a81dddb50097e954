tp-check-title = Check your application
tp-check-intro = The clerk compares these details with your ID card. If anything differs from the card, the application is refused: change it now.
tp-check-send = Send the application
tp-check-change = Change the application
counter-check-title = Check the details with the person
counter-check-intro = Read them out and compare them with the ID card in hand. Registering opens the account with a trusted profile in force; the activation sheet is printed next.
counter-check-change = Change the details
counter-check-none = Not given
