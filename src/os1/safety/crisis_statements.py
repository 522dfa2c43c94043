"""Crisis statements: what a message says outright or as a sign, read by patterns.

Explicit first-person statements (intent, self-harm, plans, method-seeking, means at hand,
farewells), indirect signs that always get the check-in question, a plan's parts, and whether
thoughts are told only in the past or denied. The detector (`crisis`) weighs them with the
trained classifier (`crisis_classifier`); the head (`crisis_model`) reads one as a style feature.
"""

from __future__ import annotations

import re

__all__ = [
    "EXPLICIT_FLOOR",
    "MESSAGE_WORDS",
    "URGENT_KINDS",
    "bounded_wish",
    "explicit_floor",
    "explicit_statement",
    "indirect_statement",
    "names_plan",
    "names_statement",
    "past_or_denied",
]

MESSAGE_WORDS = 64
"""A message of up to this many words is read by the message model too (`CrisisClassifier`)."""

_A = "['’]?"  # people often type im, dont, cant
# The words that may stand between a negation and the statement it takes back ("I would never
# really want to die", "I don't think I'd ever kill myself"). Any other word means the negation
# is about something else: "I don't understand why I want to die", "no one knows I want to die".
_GAP = (
    r"(?:i|i" + _A + r"m|im|i" + _A + r"d|id|i" + _A + r"ll|would|could|will|ever|really|even|"
    r"actually|think|believe|want|wanna|plan|intend|going|gonna|to|be|have|try|seriously|"
    r"honestly|just|feel|like|longer|any\s*more|that|am|do|mean)"
)
_NOT_BEFORE = re.compile(
    r"\b(?:not|never|no|don" + _A + r"t|won" + _A + r"t|wouldn" + _A + r"t|didn" + _A + r"t|"
    r"doesn" + _A + r"t|isn" + _A + r"t|used\s+to)(?:\s+" + _GAP + r"){0,3}\s*$",
    re.IGNORECASE,
)

_DRUGS = (
    r"(?:pills|tablets|paracetamol|tylenol|acetaminophen|ibuprofen|advil|aspirin|xanax|"
    r"insulin|benadryl|melatonin|meds|medication|sertraline|zoloft|prozac|lithium|"
    r"antidepressants|painkillers|opioids|oxy\w*|morphine|sleeping\s+pills|benzos)"
)

# "You were the only one (who ever listened)": with a goodbye a farewell, alone a sign.
_ONLY_ONE = (
    r"\byou(?:\s+were|\s+have\s+been|" + _A + r"ve\s+been)\s+the\s+only\s+(?:one|thing|person)\b"
)

# Away tomorrow for an everyday reason: "won't be here tomorrow, dentist appointment".
_EVERYDAY_AWAY = (
    r"[^.!?]{0,40}\b(?:appointment|dentist|doctor|work|shift|school|class|lecture|trip|flight|"
    r"travel\w*|vacation|holiday|wedding|meeting|conference|exam|visit\w*|busy|out\s+of\s+"
    r"town|camping|offline)\b"
)
# First-person statements of suicidal intent, self-harm, plans and method-seeking. Each is
# checked for a negation just before it ("I would never kill myself") and for quotation marks.
_EXPLICIT: dict[str, str] = {
    "intent": (
        r"\b(?:want|wanted|wanna|going|gonna|plan(?:ning)?|ready|decided|about|tempted|trying|"
        r"tried|try|need|should|deserve|thinking\s+(?:about|of)|thought\s+(?:about|of))\s+(?:to\s+)?"
        r"(?:just\s+)?(?:kill(?:ing)?\s+myself|end(?:ing)?\s+it(?!\s+(?:with|between|for\s+(?:him|her|them|us)))|"
        r"end(?:ing)?\s+(?:my\s+life|it\s+all|everything|"
        r"myself|things|my\s+own\s+life)|die(?!\s+(?:laughing|of\s+(?:laughter|boredom|embarrassment|"
        r"cringe)|on\s+(?:this|that|the\s+same)\s+hill))|dying|be\s+dead|commit(?:ting)?\s+suicide|"
        r"take\s+my\s+(?:own\s+)?life|off\s+myself|hang(?:ing)?\s+myself|overdos(?:e|ing)|"
        r"jump(?:ing)?\s+(?:off|from|in\s+front)|disappear\s+(?:forever|for\s+good|permanently|and\s+"
        r"never\s+come\s+back)|not\s+exist|stop\s+existing|"
        r"give\s+up\s+on\s+life|not\s+wake\s+up|sleep\s+forever|jump(?=\s*(?:$|[.!]))|"
        r"(?:have\s+)?it\s+(?:all\s+)?(?:to\s+)?(?:be\s+over|over|end|stop)(?=\s*(?:$|[.!,]|\s+(?:already|now|for\s+good)))|"
        r"jumping(?=\s*(?:$|[.!])))\b|"
        r"\b(?:end|stop)\s+(?:the|my|this|all\s+(?:the|this))\s+pain\s+(?:for\s+good|forever|"
        r"permanently|once\s+and\s+for\s+all)\b|\bwant\s+(?:the|my|this|all\s+(?:the|this))\s+"
        r"pain\s+to\s+(?:stop|end)\s+(?:for\s+good|forever|permanently)\b|"
        r"\b(?:dying|death|being\s+dead)\s+would\s+be\s+(?:so\s+much\s+|much\s+|a\s+lot\s+)?"
        r"(?:easier|better|a\s+relief)\b|\bplanned\s+(?:out\s+)?(?:when\s+and\s+how|how\s+and\s+"
        r"when)\b|\b(?:thinking|thought)\s+(?:about|of)\s+how\s+i\s+(?:would|could|will|"
        r"should|['’]?d)\s+do\s+it\b(?!\s+(?:differently|better|again|if|with|for|next|this|"
        r"that|right))|"
        r"\bend\s+it\s+all\b|\b(?:going|gonna|want|wanna|plan(?:ning)?|about)\s+(?:to\s+)?"
        r"(?:take|swallow)\s+all\s+(?:of\s+)?my\s+(?:pills|meds|medication|tablets)\b(?!\s+(?:with|"
        r"at|in\s+the\s+morning|on\s+time|today|as))|\bhat(?:e|ing)\s+(?:being\s+alive|existing|living(?=\s*(?:$|[.!,;])))|"
        r"\b(?:don" + _A + r"t|do\s+not)\s+(?:think\s+i\s+)?want\s+to\s+(?:live|be\s+alive|exist|"
        r"wake\s+up(?!\s+(?:(?:to|next\s+to|with|beside|early)\b|at\s+(?:\d|noon\b|dawn\b)))|be\s+here\s+any\s*more)\b|\bwant\s+"
        r"(?:everything|it\s+all)\s+to\s+(?:stop|end|"
        r"be\s+over)(?=\s*(?:$|[.!,]|\s+(?:already|now|for\s+good)))|\b(?:am|m)\s+(?:so\s+|very\s+|really\s+|pretty\s+|kind\s+of\s+|"
        r"kinda\s+|a\s+bit\s+|feeling\s+)?suicidal\b|\b(?:feel|feeling|been)\s+"
        r"(?:so\s+|very\s+|really\s+)?suicidal\b|\b(?:attempted|tried)\s+(?:suicide|to\s+kill\s+"
        r"myself|to\s+end\s+(?:it|my\s+life))\b|\bself[-\s]?harm(?:ing|ed)?\b|"
        r"\b(?:thinking|thought)\s+(?:about|of)\s+suicide\b|\b(?:rather|better)\s+be\s+dead\b|\bhave\s+nothing\s+(?:left\s+)?to\s+live\s+for\b|"
        r"\b(?:tired|sick)\s+of\s+(?:living|existing|being\s+alive)\b|"
        r"\b(?:had|have\s+had)\s+enough\s+of\s+(?:living|life(?=\s*(?:$|[.!,;]))|being\s+alive|"
        r"existing)\b|"
        r"\bcan" + _A + r"?t\s+(?:do|handle|take)\s+(?:this\s+)?(?:life|living|being\s+alive)\s+"
        r"any\s*more\b|\b(?:pray|hope|wish)\s+(?:that\s+)?i\s+(?:won"
        + _A
        + r"t|don"
        + _A
        + r"t|never|will\s+not)\s+wake\s+up\b|\bfantasi[sz](?:e|es|ing)\s+about\s+(?:my\s+own\s+)?"
        r"(?:death|dying|funeral|killing\s+myself)\b|\bpart\s+of\s+me\s+(?:just\s+|really\s+|"
        r"still\s+)?wants\s+to\s+(?:just\s+)?(?:die|be\s+dead|end\s+it(?:\s+all)?|kill\s+myself|"
        r"disappear\s+(?:forever|for\s+good|permanently|and\s+never\s+come\s+back)|not\s+exist|"
        r"stop\s+existing)\b|\b(?:want|wanna|going|gonna|tempted)\s+(?:to\s+)?(?:just\s+)?crash\s+"
        r"(?:my|the)\s+car\s+(?:into|off)\b|"
        r"\b(?:think|thinking|thought|fantasi[sz]\w*)\s+(?:about|of)\s+(?:just\s+)?"
        r"(?:(?:swerving|veering|steering|crashing)\s+(?:my\s+car\s+|the\s+car\s+)?(?:into|off|in\s+"
        r"front\s+of)|driving\s+(?:my\s+car\s+|the\s+car\s+)?(?:into\s+(?:a|the|oncoming)\s+"
        r"(?:tree|wall|barrier|river|lake|pole|truck|traffic|median)|off\s+(?:a|the)\s+(?:bridge|"
        r"road|cliff|overpass)))\b"
    ),
    "killing myself": (
        r"\b(?:kill(?:ing)?|hang(?:ing)?|off(?:ing)?|shoot(?:ing)?|drown(?:ing)?)\s+myself\b|"
        r"\b(?:yeet|throw|fling|hurl)(?:ing)?\s+myself\s+(?:off|from|in\s+front\s+of)\b(?!\s+the\s+"
        r"deep\s+end)|"
        r"\bend(?:ing)?\s+my\s+(?:own\s+)?life\b|\btake\s+my\s+(?:own\s+)?life\b|"
        r"\bmy\s+(?:own\s+)?suicide\b|\bmy\s+self[-\s]?harm\b|\bkms\b|\b(?:my\s+)?suicide\s+"
        r"note\b|\bsuicidal\s+(?:thoughts|urges|feelings)\b|\bmy\s+(?:last|first|second|third|"
        r"latest)\s+(?:suicide\s+)?attempt\b|\b(?:bridge|roof|rooftop|ledge|cliff|balcony|"
        r"overpass|tracks)\b[^.!?]{0,60}\b(?:thinking|thought)\s+(?:about|of)\s+(?:jumping|"
        r"throwing\s+myself)(?=\s*(?:$|[.!,;]|\s+(?:off|from|in\s+front)))|\b(?:easy|easier)\s+(?:it\s+"
        r"would\s+be\s+)?to\s+(?:just\s+)?(?:step|jump|walk|drive)\s+(?:in\s+front\s+of\s+(?:a|the)\s+"
        r"(?:train|bus|truck|car|subway)|off\s+(?:a|the|this|that)\s+(?:bridge|roof|building|cliff|"
        r"ledge|balcony)|into\s+(?:the\s+)?(?:traffic|a\s+wall|river|sea|ocean|lake)(?!\s+of))\b"
    ),
    "burden": (
        r"\bwish\s+(?:i|i" + _A + r"d)\s+(?:was|were|had\s+)?\s*(?:dead|never\s+been\s+born|"
        r"not\s+alive|gone|died)\b|\bbetter\s+off\s+(?:dead\b|without\s+me(?=\s*(?:$|[.!,;]|\s+"
        r"(?:honestly|anyway|tbh|really|around|here|in\s+(?:it|their\s+lives?|the\s+world))\b)))|"
        r"\bno\s+"
        r"(?:reason|point)\s+(?:for\s+me\s+)?(?:to|in)\s+(?:keep\s+)?(?:live|living|being\s+alive|"
        r"going\s+on)\b|\bsleep\s+and\s+(?:never|not)\s+wake\s+up\b(?!\s+(?:until|till|before|"
        r"early|at\s+(?:\d|noon|dawn)|for\s+(?:a\s+while|hours|days|a\s+week)))|\b(?:life|living)\s+"
        r"(?:isn" + _A + r"t|is\s+not|ain" + _A + r"t)\s+worth\s+(?:it|living)\b|"
        r"\bbetter\s+without\s+me\s+in\s+it\b|\bpoint\s+(?:of|in)\s+me\s+(?:being\s+alive|"
        r"living|existing|being\s+here)\b|\b(?:world|everyone|everybody|my\s+family|they|people|"
        r"all\s+of\s+them)(?:\s+would|\s+will|['’]?d)\s+be\s+(?:so\s+much\s+|much\s+)?(?:better|fine|"
        r"happier|okay|ok)\s+(?:off\s+)?without\s+me(?=\s*(?:$|[.!,;]|\s+(?:honestly|anyway|tbh|"
        r"really|around|here|in\s+(?:it|their\s+lives?|the\s+world))\b))|\b(?:happier|better\s+off|easier|fine|better)"
        r"(?:\s+for\s+(?:everyone|everybody|them|my\s+family))?\s+if\s+i\s+(?:just\s+|simply\s+)?(?:was(?:n"
        + _A
        + r"t|\s+not)|were(?:n"
        + _A
        + r"t|\s+not))\s+(?:(?:here|around)(?=\s*(?:$|[.!,;]|\s+any\s*more))|"
        r"alive\b)|\b(?:nobody|no\s+one|no-one)\s+(?:cares|would\s+care|will\s+care)\s+(?:if|"
        r"whether)\s+i\s+(?:live|die|lived|died)\b|\bnot\s+(?:going\s+to|gonna)\s+be\s+a\s+"
        r"(?:problem|burden)\s+(?:for|to)\s+(?:anyone|anybody|you|them|my\s+family)\s+(?:after|"
        r"much\s+longer|for\s+long)\b|\b(?:happier|better\s+off|easier)\s+if\s+i\s+(?:died|was\s+"
        r"dead|were\s+dead|was\s+gone|were\s+gone|disappeared|killed\s+myself)\b|\b(?:nobody|no\s+"
        r"one|no-one)\s+would\s+(?:even\s+)?(?:notice|care|miss\s+me)\s+if\s+i\s+(?:died|"
        r"disappeared|was\s+gone|were\s+gone|killed\s+myself)\b|\b(?:(?:don" + _A + r"t|do\s+not|"
        r"can"
        + _A
        + r"?t|cannot)\s+see\s+(?:a|any)|no)\s+(?:other\s+)?way\s+out\s+(?:other\s+than|"
        r"but|except(?:\s+for)?)\s+(?:dying|death|to\s+die|suicide|killing\s+myself|ending\s+"
        r"(?:it\s+all|my\s+life))\b|\bwish\s+(?:that\s+)?i\s+(?:could\s+(?:just\s+)?(?:not\s+exist|stop\s+"
        r"existing|disappear(?:\s+forever)?|die|sleep\s+forever|not\s+wake\s+up)|did(?:n"
        + _A
        + r"t|\s+"
        r"not)\s+exist|(?:was|were)(?:n"
        + _A
        + r"t|\s+not|\s+never)\s+(?:born(?!\s+(?:in|into|during|as|a|an|the|with|on)\b)|alive|"
        r"here(?=\s*(?:$|[.!,;]|\s+any\s*more)))|had(?:n" + _A + r"t|\s+not)\s+been"
        r"\s+born)\b|\bmy\s+(?:mom|mum|dad|parents|kids|children|friends|wife|husband|partner)(?:\s+"
        r"would|\s+will|['’]?d)\s+be\s+(?:so\s+much\s+|much\s+)?(?:better|fine|happier|okay|ok)\s+"
        r"(?:off\s+)?without\s+me(?=\s*(?:$|[.!,;]|\s+(?:honestly|anyway|tbh|really|around|here|in\s+"
        r"(?:it|their\s+lives?|the\s+world))\b))|\bi\s+(?:don"
        + _A
        + r"t|do\s+not)\s+(?:even\s+)?care\s+"
        r"if\s+i\s+(?:live|die|wake\s+up|don" + _A + r"t\s+wake\s+up)\b"
    ),
    "self-harm": (
        r"(?<!accidentally\s)\b(?:hurt(?:ing)?|harm(?:ing|ed)?|cut(?:ting)?|burn(?:ed|t|ing)?|"
        r"starv(?:e|ed|ing)|hit(?:ting)?)\s+myself\b(?!\s+(?:again\s+)?(?:while\s+|when\s+)?"
        r"(?:chopping|shaving|slicing|peeling|dicing|cooking|playing|lifting|running|skiing|"
        r"laughing|skating|skateboarding|hiking|climbing|gardening|biking|cycling|dancing|training|"
        r"working\s+out|moving|out\b|on\s+(?:a|an|the|some)\b|(?:at|during)\s+(?:the\s+|my\s+)?"
        r"(?:\w+\s+)?(?:gym|work|practice|training|game|match|rehearsal|class)\b|by\s+"
        r"accident|accidentally|in\s+the\s+kitchen)(?![^.!?]{0,60}\b(?:on\s+purpose|"
        r"deliberately)\b))|\b(?:cut|cutting)\s+"
        r"(?:again|deep(?:er)?)\b|\b(?:burn(?:ed|t|ing)?|cut(?:ting)?|scratch(?:ed|ing)?|"
        r"punch(?:ed|ing)?)\s+(?:my\s+)?(?:own\s+)?(?:arms?|wrists?|legs?|thighs?|skin|stomach)\b"
        r"[^.!?]{0,30}\b(?:on\s+purpose|to\s+feel\s+(?:something|anything|better|real)|until\s+"
        r"(?:it|they)\s+(?:bled|bleeds?))\b|\b(?:scared|afraid|terrified|frightened)\s+(?:of\s+)?"
        r"what\s+i\s+(?:might|could|will|may|would)\s+do\s+to\s+myself\b"
    ),
    "farewell": (
        r"\bwon" + _A + r"t\s+be\s+(?:around|here)\s+(?:much\s+longer|anymore|for\s+long|"
        r"(?:tomorrow|after\s+tonight)\b(?!" + _EVERYDAY_AWAY + r"))\b|"
        r"\bthis\s+is\s+(?:my\s+)?(?:goodbye|the\s+end)\s+for\s+me\b|"
        r"\b(?:tonight|this)\s+is\s+(?:my|the)\s+last\s+night\b|\bmy\s+last\s+(?:night|day)\s+"
        r"(?:alive|on\s+earth)\b|\blast\s+night\s+alive\b|\bmake\s+it\s+through\s+the\s+night\b|"
        r"\bthis\s+(?:is|will\s+be)\s+my\s+last\s+(?:message|post|text)\b(?!\s+(?:for\s+(?:today|"
        r"now|tonight|a\s+while|the\s+(?:day|night|week))|of\s+the|before|until|till))|\bif\s+i"
        + _A
        + r"?m\s+(?:gone|not\s+(?:here|around))\s+(?:tomorrow|by\s+(?:tomorrow|morning))\b|"
        r"\b(?:will|might|could)\s+be"
        r"\s+my\s+last\s+(?:night|day)\b(?!\s+(?:in|at|of|here|with|before|on\s+the\s+job))|"
        r"\bremember\s+me\s+(?:kindly\s+|well\s+|fondly\s+)?when\s+i" + _A + r"?m\s+gone\b|"
        r"\b(?:wrote|written|writing|left)\s+(?:a\s+)?(?:goodbye\s+)?(?:letters?|notes?)\s+(?:to|for)"
        r"\s+[^.!?]{0,40}\bjust\s+in\s+case\b|\bmy\s+goodbye\s+(?:letter|note)s?\b|"
        r"\bsaid\s+(?:my\s+)?goodbyes?\s+to\b[^.!?]{0,40}\b(?:don" + _A + r"t|doesn" + _A + r"t|"
        r"do\s+not|does\s+not)\s+know\s+(?:it\s+)?yet\b|"
        r"\bthe\s+last\s+time\s+(?:i" + _A + r"ll|i\s+will|ill|i" + _A + r"?m\s+(?:gonna|"
        r"going\s+to)|"
        r"i\s+get\s+to)\s+(?:talk|speak|message|text|write)\s+(?:to\s+)?you\b(?!\s+(?:about|before|"
        r"until|till|for|this|today|tonight|on|in|from|while))|\b(?:good\s*bye|bye)\b[^?]{0,20}"
        + _ONLY_ONE
        + r"|"
        r"\b(?:picked|chosen|chose|set)\s+(?:a|the)\s+date\b[^!?]{0,20}\b(?:when\s+i\s+go|to\s+"
        r"(?:do\s+it|end\s+it|go)(?=\s*(?:$|[.!?,]))|for\s+(?:it|when\s+i\s+go))"
    ),
    "method": (
        r"\b(?:how\s+many|enough)\s+(?:\w+\s+){0,2}(?:pills|tablets)\b.{0,40}\b(?:kill|die|"
        r"wake\s+up|overdose|lethal|fatal)|\b(?:lethal|fatal)\s+(?:dose|amount)\b.{0,40}\b(?:me|myself|"
        r"i)\b|"
        r"\bdose\s+of\s+\w+\s+(?:that\s+)?(?:would\s+be|is)\s+(?:lethal|fatal)\b|"
        r"\b(?:painless|quickest|easiest|surest|quietest)\s+way\s+to\s+(?:die|kill\s+myself|"
        r"end\s+(?:it|my\s+life))\b|\bhigh\s+enough\s+to\s+(?:die|kill)\b|\bhow\s+to\s+tie\s+"
        r"a\s+noose\b|\b(?:look(?:ing|ed)?\s+up|googl(?:e|ed|ing)|search(?:ed|ing)?(?:\s+for)?|"
        r"research(?:ed|ing)?)\s+(?:painless\s+|easy\s+|quick\s+)?(?:ways|how)\s+to\s+(?:die|"
        r"kill\s+myself|end\s+(?:it|my\s+life))\b|\b(?:end\s+(?:their|his|her)\s+(?:own\s+)?life|kill\s+(?:themsel(?:f|ves)|"
        r"himself|herself))\b[^?]{0,80}\bhow\s+(?:would|could|should|do|can)\s+(?:they|he|she|"
        r"someone|one|you)\b|"
        # Lethality asked about innocently: the least painful way to go, how many of a medicine
        # it takes, whether something kills you if you take enough.
        r"\b(?:least\s+painful|painless|quickest|fastest|easiest|surest|most\s+peaceful|"
        r"gentlest)\s+way\s+to\s+(?:go|die|not\s+wake\s+up)(?=\s*(?:$|[.!?,]))|\bhow\s+(?:many|"
        r"much)\s+(?:of\s+)?(?:\w+\s+)?" + _DRUGS + r"\b[^.!?]{0,30}\b(?:(?:it|would\s+it|"
        r"does\s+it)\s+take(?:s)?(?=\s*(?:$|[.!?,]|\s+to\s+(?:die|od|overdose|not\s+wake|kill|stop\s+(?:your|"
        r"my|a)\s+heart)))|to\s+(?:die|od|overdose|not\s+wake\s+up)|(?:is|are|would\s+be)\s+"
        r"(?:lethal|fatal|deadly))|\b(?:kill|be\s+(?:lethal|fatal|deadly))\s+(?:you|me|someone|a\s+"
        r"person)\s+if\s+(?:you|i|someone|a\s+person)\s+(?:take|took|drink|drank|mix|mixed|swallow|"
        r"swallowed)\s+(?:enough|a\s+lot|too\s+much|all|the\s+whole)\b|\b(?:look(?:ing|ed)?\s+up|"
        r"googl(?:e|ed|ing)|search(?:ed|ing)?(?:\s+for)?|research(?:ed|ing)?)\s+how\s+(?:many|much)"
        r"\s+(?:of\s+)?(?:\w+\s+)?" + _DRUGS + r"\b(?![^.!?]{0,40}\b(?:for\s+(?:a|an|my|the|her|"
        r"his|your|our|\d+)\b|can\s+(?:i|you|we)\s+(?:give|have|take)|safe|max\w*|daily|a\s+day|per\s+"
        r"day|limit|recommended|dosage))"
    ),
    "means": (
        r"\b(?:bought|got|have|found|holding)\s+(?:a\s+|the\s+)?(?:rope|noose)\b(?![^.!?]{0,30}\b"
        r"(?:for|climb\w*|camp\w*|tent|boat|swing|dog|gym|garden|to\s+tie))|"
        r"\b(?:have|got|holding|grabbed)\s+(?:(?:a|the|my|my\s+\w+['’]?s|some|all\s+(?:my|the))\s+)?"
        r"(?:knife|blade|razor|gun|pistol|rifle|pills)\s+(?:in\s+my\s+hand|next\s+to\s+me|"
        r"in\s+front\s+of\s+me|right\s+here|ready|on\s+my\s+lap|"
        r"(?:to|against)\s+my\s+(?:head|wrist|throat|chest))\b(?![^.!?]{0,40}\b(?:chop|slic|cook|peel|"
        r"carv|dic(?:e|ing)|onion|vegetable|bread|kitchen|dinner|recipe|meat|range|hunt|clean))|"
        r"\b(?:standing|sitting)\s+(?:on|at)\s+(?:the\s+)?(?:edge|ledge|railing)\s+of\b|"
        r"\b(?:standing|sitting)\s+on\s+(?:the\s+|a\s+)?(?:roof|rooftop|bridge|tracks|ledge)\s+"
        r"(?:right\s+)?now\b|\b(?:took|swallowed|taken|downed)\s+(?:a\s+(?:whole\s+)?(?:bottle|"
        r"handful|lot|bunch|box|pack)|the\s+whole\s+(?:bottle|box|pack)|(?:way\s+)?too\s+many)\s+"
        r"(?:of\s+)?(?:my\s+|the\s+|these\s+)?(?:\w+\s+)?(?:pills|tablets|meds|painkillers)\b|"
        r"\bengine\s+running\b[^.!?]{0,40}\bgarage\b|\bgarage\b[^.!?]{0,40}\bengine\s+running\b|"
        r"\b(?:stockpil|sav|hoard)(?:e|ed|ing)\s+(?:up\s+)?(?:my\s+)?(?:\w+\s+)?(?:pills|tablets|meds)\b|"
        # Means stared at, again and again ("I keep looking at my dad's gun").
        r"\b(?:(?:keep|kept|been|am|i" + _A + r"m|im|sat|sitting\s+here|just)\s+staring|keep\s+"
        r"(?:looking|staring)|can" + _A + r"?t\s+stop\s+(?:looking|staring))\s+at\s+(?:my\s+(?:\w+"
        r"['’]?s\s+)?|the\s+|all\s+(?:my|the|these|those)\s+|these\s+|those\s+)(?:gun|pistol|"
        r"rifle|revolver|pills|rope|noose|razor|blades?|bottle\s+of\s+(?:pills|sleeping\s+pills|"
        r"meds|tablets|painkillers)|pill\s+bottle)\b(?!\s+(?:safe|collection|shop|store|show|"
        r"range|laws?|for\s+sale|catalog\w*|listing|ads?|on\s+(?:the\s+)?(?:tv|screen|website)))"
    ),
}
_EXPLICIT_RE = {kind: re.compile(rx, re.IGNORECASE) for kind, rx in _EXPLICIT.items()}
# Indirect signs, too ambiguous for the protocol on their own but never to be let pass: feeling
# a burden, that nobody would miss them, that there is no point, that they can't go on.
# Each gets at least the check-in question, whatever the classifier reads.
_INDIRECT_RE = re.compile(
    r"\bi" + _A + r"m\s+(?:such\s+|just\s+|only\s+|nothing\s+but\s+)?a\s+(?:burden|waste\s+of\s+"
    r"(?:space|air))\b|\bi\s+am\s+(?:such\s+|just\s+|only\s+)?a\s+burden\b|"
    r"\b(?:nobody|no\s+one|no-one)\s+(?:would|will|d)\s+(?:even\s+)?(?:miss|notice)\s+"
    r"(?:me|if\s+i)\b|\bwhat"
    + _A
    + r"s\s+(?:even\s+)?the\s+point\s+(?:of\s+(?:anything|it\s+all|living|"
    r"life|going\s+on|trying|me)|in\s+(?:anything|living|going\s+on)|any\s*more)\b|"
    r"^\W*what" + _A + r"s\s+(?:even\s+)?the\s+point\W*$|"
    r"\bi\s+can" + _A + r"?t\s+(?:do|take|handle)\s+(?:this|it)\s+any\s*more\W*$|"
    r"\bi\s+can" + _A + r"?t\s+go\s+on\b|\bthis\s+is\s+(?:my\s+)?goodbye\W*$|"
    r"\bi\s+(?:don" + _A + r"t|do\s+not)\s+see\s+(?:a|any)\s+(?:future|way\s+out)\b|"
    r"\b(?:feel|feeling|felt|am|i" + _A + r"m)\s+(?:so\s+|completely\s+|totally\s+|utterly\s+|"
    r"just\s+)?hopeless(?=\s*(?:$|[.!,;]|\s+(?:and|lately|again|today|tonight|all\s+the\s+time|"
    r"these\s+days|right\s+now)\b))|\b(?:everything|life|it\s+all)\s+(?:is|feels|seems)\s+"
    r"(?:so\s+)?(?:pointless|hopeless|meaningless)(?=\s*(?:$|[.!,;]|\s+and\b))|\b(?:nobody|no\s+one|"
    r"no-one)\s+(?:would|d)\s+(?:even\s+)?care(?=\s*(?:$|[.!,;]|\s+if\s+i\b|\s+about\s+me\b))|"
    r"^\W*(?:good\s*bye|bye)\s+(?:everyone|everybody|world|all|forever)\W*$|"
    r"\bwhy\s+(?:should|would|do)\s+i\s+(?:even\s+)?(?:keep\s+(?:going|living|trying)|bother\s+"
    r"(?:living|staying\s+alive|going\s+on)|stay\s+alive|go\s+on)(?=\s*(?:$|[.!?,;]|\s+(?:when|"
    r"if|anymore|at\s+all)\b))|\bi"
    + _A
    + r"?m\s+(?:so\s+|just\s+)?done\s+fighting(?=\s*(?:$|[.!,;]))|"
    r"\bi\s+(?:feel|felt)\s+(?:like\s+)?(?:such\s+|just\s+)?a\s+burden\b|\b(?:can" + _A + r"?t|"
    r"cannot|don" + _A + r"t\s+think\s+i\s+can)\s+keep\s+(?:going|living|doing\s+this)(?=\s*(?:$|"
    r"[.!,;]|\s+(?:much\s+longer|like\s+this|anymore|any\s+longer)\b))|\b(?:giv(?:e|ing)|gave)\s+"
    r"(?:away\s+)?(?:all\s+)?my\s+(?:things|stuff|belongings|possessions)(?:\s+away)?\b[^.!?]{0,40}"
    r"\b(?:won" + _A + r"t|will\s+not|don" + _A + r"t|do\s+not)\s+need\s+(?:them|it|any\s+of\s+"
    r"(?:it|them))\b|\bnothing\s+(?:really\s+|even\s+)?matters(?:\s+(?:any\s*more|to\s+me|now|these\s+"
    r"days|lately))?"
    r"(?=\s*(?:$|[.!,;]))|\b(?:don"
    + _A
    + r"t|do\s+not|can"
    + _A
    + r"?t|cannot)\s+see\s+(?:the|any)\s+"
    r"point(?:\s+(?:any\s*more|of\s+(?:anything|living|life|going\s+on|trying|it\s+all)|in\s+"
    r"(?:anything|living|life|trying|going\s+on)))?(?=\s*(?:$|[.!,;]))|\b(?:don" + _A + r"t\s+know|"
    r"not\s+sure|no\s+idea)\s+how\s+(?:much\s+)?long(?:er)?\s+i\s+can\s+(?:do\s+this|keep\s+(?:going|"
    r"doing\s+this|this\s+up)|take\s+(?:it|this)|go\s+on|hold\s+on|last)\b|\b(?:nothing|things|"
    r"it|life)\s+(?:is\s+|are\s+)?(?:will\s+)?(?:ever\s+|never\s+)(?:going\s+to\s+|gonna\s+)?gets?\s+"
    r"better\b|\bnothing\s+will\s+ever\s+(?:get\s+better|change)\b|\bwhy\s+(?:do\s+)?i\s+(?:even\s+)?"
    r"(?:bother|try)(?=\s*(?:$|[.!?,;]|\s+any\s*more))|\bno\s+way\s+out(?!\s+of\b)(?=\s*(?:$|"
    r"[.!,;]|\s+(?:for\s+me|any\s*more)))|\bcan"
    + _A
    + r"?t\s+(?:take|handle|bear|stand)\s+(?:this|"
    r"the|my)\s+pain\s+any\s*more\b|\bi\s+(?:really\s+|just\s+|fucking\s+)?hate\s+my\s+(?:life|"
    r"existence)\b|\bi" + _A + r"?m\s+(?:so\s+|just\s+|completely\s+|totally\s+)?worthless\b|"
    r"\b(?:think|thinking|thought)\s+(?:about|of)\s+(?:death|dying)\s+(?:a\s+lot|all\s+the\s+time|"
    r"constantly|every\s+day|so\s+much|lately|more\s+and\s+more)\b|\b(?:scared|afraid|worried|"
    r"terrified)\s+(?:that\s+)?i\s+(?:might|will|could|"
    + _A
    + r"ll|may)\s+do\s+something\s+(?:stupid|"
    r"bad|drastic|terrible)\b|\b(?:picturing|imagining|planning|thinking\s+about|think\s+about)\s+"
    r"my\s+(?:own\s+)?funeral\b|\bgiv(?:e|ing)\s+up\s+on\s+(?:everything|myself)\b|\bi\s+(?:don"
    + _A
    + r"t|do\s+not)\s+(?:even\s+)?care\s+what\s+happens\s+to\s+me\b|\bdone\s+with\s+(?:life|living|"
    r"everything|it\s+all)(?=\s*(?:$|[.!,;]))|\b(?:just\s+)?waiting\s+to\s+die(?!\s+(?:of|laughing|"
    r"from))\b|\bnothing\s+left\s+for\s+me(?=\s*(?:$|[.!,;]|\s+(?:here|any\s*more|in\s+this\s+"
    r"(?:world|life))\b))|\b(?:don" + _A + r"t|can" + _A + r"?t)\s+see\s+myself\s+"
    r"(?:being\s+)?(?:alive|around)\b|\bwhy\s+am\s+i\s+(?:even\s+)?still\s+(?:here|alive|around)"
    r"(?=\s*(?:$|[.!?,;]))|\b(?:don" + _A + r"t|can" + _A + r"?t)\s+see\s+myself\s+(?:still\s+)?"
    r"here\s+(?:by|next|at\s+(?:christmas|the\s+end)|for\s+(?:much|long)|much\s+longer)\b|"
    r"\btying\s+up\s+(?:all\s+)?(?:my\s+)?(?:the\s+)?loose\s+ends\b(?![^.!?]{0,30}\b(?:at\s+work|"
    r"before\s+(?:the|my|our)\s+(?:trip|move|holiday|vacation|leave|wedding)|on\s+the\s+project))|"
    + _ONLY_ONE
    + r"\s+(?:who|that)\s+(?:ever\s+)?(?:listened|cared|understood|got\s+me)\b|\b(?:would|will|"
    + _A
    + r"d|"
    r"could)\s+(?:at\s+least\s+)?get\s+(?:the|my)\s+(?:life\s+)?insurance\b|\bworth\s+more\s+"
    r"dead\b|\blife\s+insurance\s+(?:pays?\s+out|would\s+pay)\s+more\s+than\s+i\b|"
    r"\b(?:does|would|do\s+you\s+think)\s+(?:it|dying)\s+hurts?\b[^?]{0,20}\b(?:drown\w*|hang\w*|"
    r"die|dying|bleed\w*|jump\w*|overdos\w*)|\bis\s+(?:drowning|hanging|bleeding\s+out|"
    r"overdosing)\s+(?:painful|quick|peaceful)|\bif\s+i"
    + _A
    + r"?m\s+(?:just\s+)?gone\b(?!\s+(?:for|"
    r"by|till|until|on|at|when|before|a|the|this|next|all|long|over)\b)|\b(?:don"
    + _A
    + r"t|do\s+not|"
    r"won"
    + _A
    + r"t|will\s+not)\s+(?:want|intend|plan|expect)\s+to\s+(?:see|make\s+it\s+to|live\s+"
    r"to\s+see)\s+(?:another|next|my\s+next)\s+(?:birthday|winter|summer|spring|christmas|year)\b|"
    r"\b(?:don" + _A + r"t|do\s+not)\s+want\s+to\s+(?:see|turn|make\s+it\s+to)\s+1\d\b",
    re.IGNORECASE,
)
EXPLICIT_FLOOR = 0.25
"""An explicit statement alarms unless the classifier reads its message as clearly not a crisis
(below this fraction of the threshold): a supporter quoting someone, a story about the past."""
URGENT_KINDS = frozenset({"means"})
"""An act under way or its means at hand ("I'm standing on the roof right now") alarms whatever
the classifier reads: it scores short, plain messages low."""


def explicit_floor(kind: str | None) -> float:
    """The fraction of the crisis threshold at which a statement of this kind alarms (1.0 when
    there is no explicit statement: the classifier alone decides)."""
    if kind is None:
        return 1.0
    return 0.0 if kind in URGENT_KINDS else EXPLICIT_FLOOR


# "intent" needs the person as the subject: "I want to die", not "people who want to die".
_NEEDS_SUBJECT = {"intent"}
_SUBJECT = re.compile(
    r"(?:^|[^\w'’])(?:i|i" + _A + r"m|im|i" + _A + r"ve|ive|i" + _A + r"ll|i" + _A + r"d|id)"
    r"(?:\s+[\w'’]+){0,3}\s*$",
    re.IGNORECASE,
)
# ...or no subject at all, at the start of a message or sentence: "Just want to die."
_IMPLIED_SUBJECT = re.compile(
    r"(?:\A|[.!?…\n])\W*(?:(?:just|really|honestly|literally|seriously|sometimes|still|kinda|"
    r"lowkey|so|and|but)\s+){0,2}\Z",
    re.IGNORECASE,
)
# ...and none made by someone else: "she's been cutting again", "he said he's been stockpiling
# his meds" (a supporter asking how to help), unless "I" comes in between ("she knows I've been").
# Feeling a burden is said with others as the subject ("they'd all be better off without me").
_ABOUT_OTHERS = {"burden"}
_OTHER_SUBJECT = re.compile(
    r"(?:^|[^\w'’])(?:he|she|they)(?:['’](?:s|re|ve|d|ll))?((?:\s+[\w'’]+){0,3})\s*$",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|i" + _A + r"(?:m|ve|ll|d)|im|ive|me|myself)\b", re.IGNORECASE)
_ROLE_PLAY = re.compile(
    r"\b(?:my|the|her|his|your)\s+(?:\w+\s+)?character\b[^.!?\n]{0,60}\b(?:wants?\s+to\s+die|"
    r"(?:kill|hang)s?\s+(?:her|him|them)sel(?:f|ves)|end(?:s|ing)?\s+(?:her|his|their)\s+life|"
    r"(?:is|was)\s+suicidal|decided\s+to\s+end\s+it|(?:about|going|decided|planning)\s+to\s+"
    r"(?:jump\s+off|end\s+it|kill\s+(?:her|him|them)sel)|ends?\s+it\s+all|done\s+with\s+life)|"
    r"\bi" + _A + r"?m\s+(?:a|an|the|someone|somebody)\s+(?:\w+\s+){0,2}who\s+(?:wants|is\s+"
    r"going|plans|is\s+planning|is\s+about)\s+to\s+(?:die|kill\s+(?:myself|himself|herself|"
    r"themselves)|end\s+(?:it\s+all|(?:my|his|her|their)\s+life))\b",
    re.IGNORECASE,
)
_QUOTES = re.compile(r"[\"“”][^\"“”\n]{0,200}[\"“”]")


def explicit_statement(text: str) -> str | None:
    """The kind of explicit first-person crisis statement in `text`, or None.

    Statements in quotation marks ("she said 'I want to die'") and negated ones ("I would never
    kill myself") do not count; a role-play character who means to die does.
    """
    unquoted = _QUOTES.sub(" ", text)
    for kind, pattern in _EXPLICIT_RE.items():
        for match in pattern.finditer(unquoted):
            before = unquoted[max(0, match.start() - 40) : match.start()]
            if _NOT_BEFORE.search(before):
                continue
            if kind not in _ABOUT_OTHERS and _said_by_another(before):
                continue
            if kind in _ABOUT_OTHERS and _NOT_PERSON_SUBJECT.search(before):
                continue
            if kind == "intent" and _about_a_bounded_thing(unquoted, match):
                continue
            if kind in _NEEDS_SUBJECT and not (
                _SUBJECT.search(before) or _IMPLIED_SUBJECT.search(unquoted[: match.start()])
            ):
                continue
            return kind
    if _ROLE_PLAY.search(unquoted):
        return "role-play"
    return None


# "My cat is better off without me" and "the team will be better off without me": a pet or a
# group better off is not the person's family (read only for feeling a burden).
_NOT_PERSON_SUBJECT = re.compile(
    r"\b(?:cat|dog|pet|puppy|kitten|hamster|fish|bird|plants?|garden|team|company|office|band|"
    r"class|club|project|department|business|group|squad|crew|shop|store)s?(?:['’]s)?\b"
    r"(?:\s+[\w'’]+){0,4}\s*$",
    re.IGNORECASE,
)


# "Day 9 of this cough. I want it to stop." and "This meeting won't end, I want it over": a
# plain "it" after an everyday thing that ends on its own (not "it all", not after life or pain).
_PLAIN_IT = re.compile(r"\bit\s+(?!all\b)", re.IGNORECASE)
_BOUNDED_THING = re.compile(
    r"\b(?:this|that|the|my|these|our)\s+(?:\w+\s+){0,2}?(?:cough|cold|flu|fever|headache|"
    r"migraine|toothache|hiccups|itch\w*|rash|cramps?|hangover|nausea|meeting|class|lecture|"
    r"shift|week|weekend|semester|term|exams?|rain|storm|heat\s*wave|heat|snow|noise|drilling|"
    r"construction|renovations?|music|party|song|alarm|traffic|commute|flight|layover|queue|"
    r"call|webinar|presentation|winter|season|game|match|movie|show|crying|barking|deadline|"
    r"project|drama|heartburn|sneez\w*|allergies|jet\s*lag|wait)\b",
    re.IGNORECASE,
)
_NOT_BOUNDED = re.compile(
    r"\b(?:life|living|alive|exist\w*|everything|pain|hurt\w*|myself|world|suicid\w*|die|dying|"
    r"dead|death|point|anymore|any\s+more)\b",
    re.IGNORECASE,
)


def _about_a_bounded_thing(text: str, match: re.Match[str]) -> bool:
    """Whether a wish for "it" to stop or end is about an everyday thing named just before."""
    if not _PLAIN_IT.search(match.group(0)):
        return False
    before = text[max(0, match.start() - 80) : match.start()]
    things = list(_BOUNDED_THING.finditer(before))
    return bool(things) and not _NOT_BOUNDED.search(before[things[-1].end() :])


def bounded_wish(text: str) -> bool:
    """Whether `text` wishes for "it" to stop or end just after an everyday thing that ends on
    its own ("Day 9 of this cough. I want it to stop."), a wish `explicit_statement` leaves
    out; whether it says something else that is a statement is the caller's to know."""
    unquoted = _QUOTES.sub(" ", text)
    return any(
        _about_a_bounded_thing(unquoted, match)
        for match in _EXPLICIT_RE["intent"].finditer(unquoted)
    )


def _said_by_another(before: str) -> bool:
    """Whether the words just before a statement make someone else its subject."""
    other = _OTHER_SUBJECT.search(before)
    return other is not None and _FIRST_PERSON.search(other.group(1)) is None


# The parts of a plan: when, where or with what, and an ending. Each alone is everyday talk.
_PLAN_PARTS = (
    re.compile(
        r"\b(?:tonight|tomorrow|soon|right\s+now|this\s+(?:weekend|week|morning|afternoon|evening|"
        r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)|(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
        r"after\s+(?:my\s+shift|work|school|the\s+(?:wedding|funeral|holidays|party|weekend))|"
        r"by\s+(?:morning|tomorrow|the\s+weekend)|in\s+a\s+few\s+(?:hours|days))\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:roof|rooftop|bridge|ledge|balcony|cliff|tracks|train|lake|river|sea|ocean|garage|"
        r"gun|rifle|pistol|pills|insulin|rope|razor|blades?|overdose|lethal|fatal|bleed(?:ing)?\s+"
        r"out|drown\w*|tallest|high\s+enough)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:this\s+is\s+it|(?:the\s+)?last\s+time|good\s*bye|bye|everything(?:" + _A + r"s|"
        r"\s+is)\s+(?:ready|set|in\s+order)|my\s+plan|my\s+exit|plan(?:ning)?\s+my\s+"
        r"(?:exit|end|death)|won"
        + _A
        + r"t\s+be\s+(?:here|around)|(?:after|when|if)\s+i"
        + _A
        + r"m\s+gone|(?:see|make\s+it\s+to)\s+(?:another|next)|no\s+reason|for\s+good|forever|"
        r"it" + _A + r"s\s+time|ready\s+to\s+go|i" + _A + r"ve\s+decided|i\s+have\s+decided)\b",
        re.IGNORECASE,
    ),
)


def names_plan(text: str) -> bool:
    """Whether `text` names two parts of a plan: a time ("Sunday after the game"), a place or
    means ("the roof", "the lake"), an ending ("this is it", "everything is set"). In a
    worrying message together they are a plan, not a mood. Only a message counts: in posts
    pasted together, the parts meet by chance."""
    unquoted = _QUOTES.sub(" ", text)
    if len(unquoted.split()) > MESSAGE_WORDS:
        return False
    return sum(bool(part.search(unquoted)) for part in _PLAN_PARTS) >= 2


def indirect_statement(text: str) -> bool:
    """Whether `text` says something indirect that warrants asking about suicide ("I'm a
    burden to everyone", "nobody would miss me", "what's the point anymore"); quoted or negated
    ones ("I don't think I'm a burden") do not count."""
    unquoted = _QUOTES.sub(" ", text)
    for match in _INDIRECT_RE.finditer(unquoted):
        if not _NOT_BEFORE.search(unquoted[max(0, match.start() - 40) : match.start()]):
            return True
    return False


_PAST_FRAME = re.compile(
    r"\bused\s+to\b|\b(?:years?|months?)\s+ago\b|\bwhen\s+i\s+was\s+(?:younger|little|a\s+"
    r"(?:kid|teen(?:ager)?|child)|in\s+(?:high\s+|middle\s+)?school|\d+)\b|\bback\s+then\b|"
    r"\bin\s+the\s+past\b|\bnever\s+again\b",
    re.IGNORECASE,
)
_NOW = re.compile(
    r"\b(?:now|again|tonight|today|still|lately|anymore|any\s+more|back|"
    r"right\s+now|this\s+week)\b",
    re.IGNORECASE,
)


def names_statement(text: str) -> bool:
    """Whether `text` holds one of the explicit statements, negated or not ("I used to want
    to die" names one; `explicit_statement` does not count it)."""
    unquoted = _QUOTES.sub(" ", text)
    return any(pattern.search(unquoted) for pattern in _EXPLICIT_RE.values())


def past_or_denied(text: str) -> bool:
    """Whether a message tells of suicidal thoughts only in the past or to deny them ("I used
    to want to die when I was a teenager", "I would never kill myself"), with nothing that
    brings them to now ("and now it's back") and no statement made outright beside a denial
    ("I hope I don't wake up, I don't think I could kill myself" is not a denial). A text
    longer than a message (posts pasted together) counts only if it names a statement: a "years
    ago" somewhere in it does not take back what the rest says."""
    unquoted = _QUOTES.sub(" ", text)
    if _NOW.search(unquoted):
        return False
    if len(unquoted.split()) > MESSAGE_WORDS and not names_statement(unquoted):
        return False
    denied = asserted = False
    for pattern in _EXPLICIT_RE.values():
        for match in pattern.finditer(unquoted):
            if _NOT_BEFORE.search(unquoted[max(0, match.start() - 40) : match.start()]):
                denied = True
            else:
                asserted = True
    return _PAST_FRAME.search(unquoted) is not None or (denied and not asserted)
