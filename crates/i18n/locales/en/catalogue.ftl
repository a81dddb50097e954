nav-services = Services
services-title = Public services catalogue
services-intro = Find what you need from an office: what to prepare, how long it takes and what it costs.
services-q = What are you looking for?
services-q-hint = For example: certificate of residence, dog registration. Polish letters are optional.
services-category = Category
services-any = All
services-city = Town of the office
services-search = Search
services-found =
    { $count ->
        [0] No services found
        [one] 1 service found
       *[other] { $count } services found
    }
services-none = Try other words or remove the category or town filter.
services-more = More results
services-events = Services for moments in life
service-fee = Fee
service-time = Time to handle
service-fee-none = no fee
service-fee-computed = computed in the application
service-days =
    { $count ->
        [one] up to 1 day
       *[other] up to { $count } days
    }
service-days-now = at once
service-who = Who may apply
service-channels = How to apply
service-documents = What to prepare
service-documents-none = No documents are needed.
service-start = Apply online
service-start-hint = The application goes to the office's delivery mailbox; you get proof of sending with the time that counts for deadlines.
service-in-person = You apply for this in person at the office or by post.
service-where = Where
service-legal = Legal basis
service-no-mailbox-title = A delivery mailbox is needed
service-no-mailbox = To apply online, first open your own electronic delivery mailbox.
catalogue-link = The office's services
catalogue-title = The office's services
catalogue-refused = The file was not loaded
catalogue-count =
    { $count ->
        [one] 1 service
       *[other] { $count } services
    }
catalogue-export = Download the catalogue
catalogue-export-csv = CSV file
catalogue-export-json = JSON file
catalogue-import = Load the catalogue from a file
catalogue-import-hint = A CSV or JSON file laid out like the downloaded one. Services with the same code are replaced, new ones added. If the file has a mistake, nothing changes.
catalogue-file = Catalogue file
catalogue-imported =
    { $count ->
        [one] 1 service loaded.
       *[other] { $count } services loaded.
    }
cat-civil-status = Civil status and documents
cat-residence = Residence registration
cat-construction = Building and property
cat-environment = Environment
cat-business = Business
cat-transport = Vehicles and roads
cat-taxes = Taxes and fees
cat-social = Social assistance
cat-animals = Animals
cat-information = Public information
event-building-a-house = Building a house
event-moving = Moving
event-starting-a-business = Starting a business
event-having-a-child = Having a child
event-buying-a-car = Buying a car
event-getting-a-pet = Getting a pet
channel-online = online
channel-counter = at the office
channel-post = by post
err-too-long = This text is too long.
err-service-code = Service code: 1 to 40 letters, digits, hyphens, underscores or dots.
err-service-name = Give the service's name in Polish.
err-service-texts = Texts: languages pl, en, sr-Latn, sr-Cyrl; a name up to 200 characters, a description up to 4,000.
err-service-fee = The fee must be an amount above zero (for example 17.00), 0 or "computed".
err-service-days = Time to handle: a number of days from 0 to 365.
err-service-category = Unknown category.
err-service-event = Unknown life event.
err-service-channels = Give at least one way to apply: online, counter or post.
err-import-empty = The file holds no service.
err-import-columns = The first line must name the columns as in the downloaded file.
err-import-cells = The line has a different number of cells than there are columns.
err-import-too-many = A file may hold at most 5,000 services.
err-import-long = A cell is too long.
err-import-quote = A quotation mark is not closed.
err-import-json = This is not a valid JSON file with a list of services.
err-import-department = The office has no department with this code.
err-import-code-twice = This service code appears twice in the file.
err-import-utf8 = The file must be saved in UTF-8.
err-import-format = Format: csv or json.
import-at-line = Line { $line }: { $problem }
import-at-line-field = Line { $line }, column { $field }: { $problem }
import-at-field = { $field }: { $problem }
action-catalogue-import = Services catalogue loaded
