nav-services = Услуге
services-title = Каталог јавних услуга
services-intro = Пронађите шта вам треба од органа: шта да припремите, колико траје и колико кошта.
services-q = Шта тражите?
services-q-hint = На пример: уверење о пребивалишту, регистрација пса. Дијакритички знаци нису обавезни.
services-category = Категорија
services-any = Све
services-city = Место органа
services-search = Претражи
services-found =
    { $count ->
        [0] Није пронађена ниједна услуга
        [one] Пронађена је { $count } услуга
        [few] Пронађене су { $count } услуге
       *[other] Пронађено је { $count } услуга
    }
services-none = Пробајте друге речи или уклоните филтер категорије или места.
services-more = Следећи резултати
services-events = Услуге за важне тренутке у животу
service-fee = Такса
service-time = Рок за решавање
service-fee-none = без таксе
service-fee-computed = обрачунава се у захтеву
service-days =
    { $count ->
        [one] до { $count } дана
        [few] до { $count } дана
       *[other] до { $count } дана
    }
service-days-now = одмах
service-who = Ко може да поднесе захтев
service-channels = Како се подноси
service-documents = Шта да припремите
service-documents-none = Нису потребна документа.
service-start = Поднесите захтев електронски
service-start-hint = Захтев стиже у сандуче за доставу органа; добијате потврду о слању са временом које се рачуна за рокове.
service-in-person = Овај захтев подносите лично у органу или поштом.
service-where = Где
service-legal = Правни основ
service-no-mailbox-title = Потребно је сандуче за доставу
service-no-mailbox = Да бисте поднели захтев електронски, најпре отворите сопствено сандуче за електронску доставу.
catalogue-link = Услуге органа
catalogue-title = Услуге органа
catalogue-refused = Датотека није учитана
catalogue-count =
    { $count ->
        [one] { $count } услуга
        [few] { $count } услуге
       *[other] { $count } услуга
    }
catalogue-export = Преузмите каталог
catalogue-export-csv = CSV датотека
catalogue-export-json = JSON датотека
catalogue-import = Учитајте каталог из датотеке
catalogue-import-hint = CSV или JSON датотека у истом облику као преузета. Услуге са истом шифром се замењују, нове се додају. Ако датотека има грешку, ништа се не мења.
catalogue-file = Датотека каталога
catalogue-imported =
    { $count ->
        [one] Учитана је { $count } услуга.
        [few] Учитане су { $count } услуге.
       *[other] Учитано је { $count } услуга.
    }
cat-civil-status = Лична стања и документа
cat-residence = Пребивалиште
cat-construction = Градња и непокретности
cat-environment = Животна средина
cat-business = Привредна делатност
cat-transport = Возила и путеви
cat-taxes = Порези и таксе
cat-social = Социјална заштита
cat-animals = Животиње
cat-information = Информације од јавног значаја
event-building-a-house = Изградња куће
event-moving = Селидба
event-starting-a-business = Оснивање фирме
event-having-a-child = Рођење детета
event-buying-a-car = Куповина аутомобила
event-getting-a-pet = Нова животиња у кући
channel-online = електронски
channel-counter = на шалтеру органа
channel-post = поштом
err-too-long = Овај текст је предугачак.
err-service-code = Шифра услуге: од 1 до 40 слова, цифара, цртица, доњих црта или тачака.
err-service-name = Наведите назив услуге на пољском.
err-service-texts = Описи: језици пл, ен, ср-Латн, ср-Цyрл; назив до 200 знакова, опис до 4000.
err-service-fee = Такса мора бити износ већи од нуле (на пример 17,00), 0 или „цомпутед”.
err-service-days = Рок за решавање: број дана од 0 до 365.
err-service-category = Непозната категорија.
err-service-event = Непознат животни догађај.
err-service-channels = Наведите бар један начин подношења: онлине, цоунтер или пост.
err-import-empty = У датотеци нема ниједне услуге.
err-import-columns = Први ред мора да садржи називе колона као у преузетој датотеци.
err-import-cells = Ред има другачији број ћелија од броја колона.
err-import-too-many = Датотека може да садржи највише 5000 услуга.
err-import-long = Ћелија је предугачка.
err-import-quote = Наводник није затворен.
err-import-json = Ово није исправна JSON датотека са списком услуга.
err-import-department = Орган нема одељење са овом шифром.
err-import-code-twice = Ова шифра услуге се у датотеци јавља два пута.
err-import-utf8 = Датотека мора бити сачувана у кодирању УТФ-8.
err-import-format = Формат: цсв или јсон.
import-at-line = Ред { $line }: { $problem }
import-at-line-field = Ред { $line }, колона { $field }: { $problem }
import-at-field = { $field }: { $problem }
action-catalogue-import = Учитан каталог услуга
