#!/usr/bin/env python3
"""Writes assets/acts/domains/<domain>.jsonl: labelled practice calls, one file per
domain, for the act classifier (see tests/fixtures/acts/README.md).

The calls are composed, not sampled from anything: each domain below has hand-written
content (who calls whom, the status quo, pains, next steps, pitches, objections) and each
act has hand-written phrasings in several registers (terse, rambling, disfluent, ASR-style
lowercase without punctuation, Whisper numbers such as "$300", "20%", "3:30"). A call follows
a move plan (open, discover, pitch, close) and every answer is chosen for the question it
answers, so context (answers to no-questions, mirrors of the previous line) is exercised.
Labels follow the coaching spec, including the sharpened conventions (yes + information is
confirmation_yes; a yes to a no-question refuses -> no; hedged yes-words stay counterfeit_yes;
a bare backchannel to a statement is other). Deterministic: seeded.

    python3 scripts/gen_acts_domains.py        # from the repository root
"""
import json
import os
import random
import re

R = random.Random(12)

# ------------------------------------------------------------------------------------------
# Domains: hand-written content.

D = {}

D["insurance"] = dict(
    co=["Harbor Mutual", "Keystone Life", "Bluepine Insurance"],
    thing=["the umbrella policy", "term life", "the home bundle", "renters coverage"],
    sq=["we're with State Farm through my husband's job", "I pay about $140 a month for both cars",
        "the house is covered, the boat isn't", "my agent retired last year and nobody calls me",
        "we had a claim in 2021 and it took four months", "honestly I don't even know what my deductible is",
        "my brother sells insurance so I kind of use him"],
    pains=["you got burned on that last claim", "you're not sure what you're actually paying for",
           "nobody has looked at your coverage in years", "the kids changed what you need",
           "price matters more than the brand right now"],
    steps=["a 10 minute review of your current policy", "sending you a side by side quote",
           "a call on Thursday with your wife on the line", "looking at the declarations page together"],
    feats=["Our home and auto bundle usually saves families around 20%.",
           "we pay 90% of claims inside two weeks",
           "With us you get one agent, a direct line, and a review every year.",
           "I can add $1 million of umbrella coverage for about $30 a month",
           "our term policy locks the rate for 20 years"],
    asks=["is most important to you in a policy", "happened with that claim", "would you change about your coverage",
          "is the deductible doing to your budget", "else weighs in on this"],
    actions=["email me the quote and I'll read it tonight", "I'll dig out the declarations page and send it Monday",
             "call me back at 6:30 when my wife's home", "let's switch the cars over on the 1st"],
    objections=["we're not sure we'll keep the second car", "I've heard the rates jump in year two",
                "it's a lot of paperwork for maybe $15 a month", "I really don't like switching"],
)
D["saas"] = dict(
    co=["Flowdesk", "Stackline", "Ledgerly"],
    thing=["the analytics add-on", "the team plan", "our ticketing tool", "the API tier"],
    sq=["we use Jira and a bunch of spreadsheets", "about 40 seats, mostly support",
        "our contract with Zendesk runs until March", "the data team built something in house",
        "we tried a tool like this in 2022 and nobody logged in", "IT has to approve anything new",
        "onboarding took us six weeks last time"],
    pains=["adoption is the thing that worries you", "IT has been burned by shadow tools before",
           "your team is stretched thin this quarter", "the last rollout left a bad taste",
           "switching costs scare you more than the license"],
    steps=["a 2 week pilot with one team", "a 30 minute demo for your IT lead",
           "looping in security before we go further", "starting with 10 seats"],
    feats=["Our customers cut ticket time by 35% in the first quarter.",
           "we integrate with Jira out of the box, no code",
           "the team plan is $12 a seat and includes SSO",
           "We're SOC 2 Type II and we host in the EU if you need it.",
           "our onboarding team does the migration for you, usually in 5 days"],
    asks=["does a normal week look like for your support team", "would have to be true for IT to say yes",
          "is the hardest part of the handoff between teams", "happened with the last tool",
          "are you measuring right now"],
    actions=["send me the security questionnaire and I'll get it to IT today",
             "set up the pilot for the support team starting Monday",
             "book the demo for Wednesday at 2", "I'll get you the seat count by Friday"],
    objections=["we're not sure we'll renew the consulting contract that set this up",
                "the budget for tools got frozen in Q3", "my boss thinks we can build it ourselves",
                "we just don't have anyone to run a pilot"],
)
D["salary"] = dict(
    co=["Northwind", "the company", "Acme Logistics"],
    thing=["the offer", "the senior role", "the raise", "the package"],
    sq=["the band for this level tops out at 118", "we already moved the base once",
        "equity refreshes happen in January", "HR set the number, not me",
        "the last person in this seat made less", "bonus is 10% target, paid in March"],
    pains=["the band has you boxed in", "you want to close this before the quarter ends",
           "you're worried about fairness across the team", "your hands are tied on base"],
    steps=["revisiting the base after six months", "moving the start date to the 15th",
           "talking about the signing bonus instead", "getting the equity number in writing"],
    feats=["I led the migration that saved my last team $400,000 a year.",
           "I can start on the 3rd and I already know your stack",
           "I'm bringing two clients with me who want to keep working with me"],
    asks=["flexibility do you have on the signing bonus", "would it take to get to 125",
          "does success look like in the first 90 days", "else is involved in approving this",
          "am I supposed to accept less than my current pay"],
    actions=["I'll go back to HR today and email you the revised letter tomorrow",
             "let's put 120 plus a $10,000 signing bonus in writing by Friday",
             "I'll call you at 4 after I talk to the VP"],
    objections=["we can't go above the band", "everyone at this level got the same offer",
                "the equity is actually the bigger number", "we have another candidate in final rounds"],
)
D["rent"] = dict(
    co=["Parkview Apartments", "the building", "Elm Street Properties"],
    thing=["the renewal", "the two bedroom", "the lease", "unit 4B"],
    sq=["rent goes to $2,150 on the 1st", "the owners raised everything 8%",
        "we have three people waiting for units", "the dishwasher ticket is still open",
        "parking is another $95 a month", "the market rate around here is higher now"],
    pains=["the owners are squeezing you too", "you'd rather keep a good tenant than fill a vacancy",
           "you're tired of the repair calls", "you don't want a unit sitting empty over winter"],
    steps=["signing 18 months at the current rate", "fixing the dishwasher before I sign",
           "keeping it at $1,950 if I pay on autopay", "a walkthrough on Saturday"],
    feats=["I've paid on time for four years and never called about noise",
           "I can sign for two years today"],
    asks=["would it take to keep it at 1,950", "is a vacancy costing you per month",
          "happens if I sign for two years", "does the owner care about most"],
    actions=["let me ask the owner tonight and I'll call you Thursday",
             "send me the lease and I'll sign it this weekend",
             "I'll have maintenance there Tuesday morning"],
    objections=["every unit is going up the same", "I don't set the prices", "the taxes went up 18%",
                "we're not sure we'll renew anyone's lease below market"],
)
D["car-sales"] = dict(
    co=["Lakeside Toyota", "Metro Honda", "Crosstown Auto"],
    thing=["the hybrid", "the 2022 Tacoma", "the trade in", "the lease"],
    sq=["I'm driving a 2014 Civic with 160,000 miles", "the other dealer quoted $329 a month",
        "my credit union pre-approved me at 6.9%", "we need three rows for the kids",
        "I drive about 80 miles a day", "my wife wants something with all wheel drive"],
    pains=["you've been burned by add-ons before", "the monthly payment matters more than the sticker",
           "you're tired of dealers playing games", "you need this settled before the baby comes"],
    steps=["a test drive on Saturday", "letting me run your trade in", "holding the car until Monday",
           "writing it up at $31,500 out the door"],
    feats=["This model has the best resale value in its class and I can throw in the winter tires.",
           "it gets 52 miles to the gallon and the warranty is 10 years on the battery",
           "we'll give you $9,000 for the Civic, that's $1,500 over book",
           "every used car here gets a 150 point inspection"],
    asks=["payment would let you sleep at night", "matters most on the highway", "else is driving it",
          "happened at the last dealership", "would make this an easy yes"],
    actions=["I'll bring the Civic in Saturday at 10", "write it up, I'll sign tonight",
             "hold it for me and I'll be there at 5:30", "I'll get my wife to drive it tomorrow"],
    objections=["that's still $2,000 more than Metro", "I don't need the paint protection",
                "the rate seems high", "I'm not buying anything today"],
)
D["solar"] = dict(
    co=["SunPeak", "Brightroof Solar", "Helio Home"],
    thing=["a solar install", "the battery backup", "panels", "the lease option"],
    sq=["our bill runs about $280 in the summer", "the roof is maybe 15 years old",
        "the HOA has rules about what faces the street", "we got quoted by Tesla last year",
        "we might move in three years", "there's a big oak shading the back"],
    pains=["the upfront cost is the scary part", "you've had pushy solar people at the door",
           "you're not sure you'll be here long enough", "the HOA feels like a headache"],
    steps=["a free shade report", "a 20 minute visit on Thursday", "checking your last 12 bills",
           "sending the HOA packet for you"],
    feats=["The federal credit still covers 30% of the system.",
           "our panels carry a 25 year warranty and we handle the permits",
           "Most homes in your area pay it off in about 7 years.",
           "the battery keeps your fridge and wifi on when the grid goes down"],
    asks=["would you do with $200 a month back", "worries you most about the roof",
          "made you look into solar in the first place", "would the HOA need to see"],
    actions=["come Thursday at 3:30, I'll be home", "send the shade report and I'll show my husband tonight",
             "I'll upload the bills this weekend"],
    objections=["we're not sure we'll stay past 2027", "the roof needs work first",
                "my neighbor's panels never paid off", "I read the credit is going away"],
)
D["recruiting"] = dict(
    co=["TalentBridge", "Crest Search", "Hirewise"],
    thing=["the staff engineer role", "a contract to hire", "the director opening", "the role"],
    sq=["I'm pretty happy where I am", "I get five of these messages a week",
        "I've been here six years", "my vest cliff is in October",
        "I'm fully remote and I won't go back to an office", "my manager is great"],
    pains=["you're not looking but you'd listen for the right thing", "recruiters have wasted your time",
           "leaving before the vest would hurt", "remote is non negotiable"],
    steps=["a 15 minute call with the hiring manager", "sending you the comp range first",
           "talking again after October", "sharing the job description"],
    feats=["The role pays 190 to 220 base plus equity, fully remote.",
           "They're a series C, profitable, and the team is 12 engineers",
           "this client has hired four people from me and all four are still there"],
    asks=["would make a move worth it", "would your ideal next role look like", "matters beyond comp",
          "would have to change for you to leave"],
    actions=["send the JD and I'll read it tonight", "book me with the hiring manager Tuesday at 11",
             "I'll send my resume by Friday"],
    objections=["I don't do take home tests", "that range is below what I make", "I'm not moving to Austin"],
)
D["debt-collection"] = dict(
    co=["Meridian Recovery", "the collections office", "First Choice Credit"],
    thing=["the balance", "a payment plan", "the settlement", "the account"],
    sq=["I lost my job in March", "that card was closed years ago", "I can maybe do $50 a month",
        "I already paid part of that", "my wife handles the bills", "I'm on disability now"],
    pains=["this has been hanging over you", "the calls have felt like harassment",
           "you want to fix it but the numbers don't work", "you don't trust that this is real"],
    steps=["a plan at $75 a month", "settling for 40% of the balance", "sending you a validation letter",
           "pausing the account for 30 days"],
    feats=["If you settle this month we can take 40% and report it paid",
           "we can spread it over 18 months with no interest"],
    asks=["could you manage each month without hurting", "happened with the account",
          "would make this feel fair", "would you need to see in writing"],
    actions=["set it up for $60 on the 15th and I'll pay the first one today",
             "send the letter and I'll call you back Monday", "I'll pay $250 on the 15th"],
    objections=["I don't even recognize this account", "I'm not giving my bank info over the phone",
                "the amount's wrong, it was $1,200", "I'm talking to a lawyer"],
)
D["procurement"] = dict(
    co=["Allied Supply", "Vantage Industrial", "Corebridge"],
    thing=["the supply contract", "the gloves order", "the price increase", "the three year deal"],
    sq=["we buy about 4,000 cases a quarter", "our current supplier is 6% cheaper",
        "the CFO wants every vendor cut by 10%", "we had two late shipments in May",
        "the RFP closes on the 30th", "we've used you since 2018"],
    pains=["the CFO's target is putting you in a corner", "those late shipments made you look bad",
           "you need the price to move before the RFP closes", "you like us but the numbers have to work"],
    steps=["a 2 year term at the old price", "splitting the increase", "a quarterly review of on time numbers",
           "including freight in the unit price"],
    feats=["We had 99.2% on time delivery last year across your sites.",
           "our nitrile gloves are $4 less per case than list",
           "We can hold pricing for 24 months if you commit to the volume."],
    asks=["does the CFO need to see", "would make the switch worth the risk",
          "happened with the May shipments", "does the approval process look like"],
    actions=["send me the revised quote and I'll take it to the CFO Thursday",
             "I'll sign the 2 year term if you hold at $38", "we'll issue the PO on Monday"],
    objections=["we're not sure we'll renew the consulting contract", "legal has to review any auto renew clause",
                "everyone is raising prices this year", "your competitor offered net 60"],
)
D["fundraising"] = dict(
    co=["Riverside Food Bank", "Open Books", "Seedline Ventures"],
    thing=["the campaign", "the round", "a sponsorship", "the matching gift"],
    sq=["we gave $500 last year", "our foundation funds education mostly", "the fund is fully deployed",
        "we only do seed rounds", "the board decides in December", "we got a lot of asks this fall"],
    pains=["you're getting asked from every direction", "you want to see where the money goes",
           "the board is cautious this year", "you've been disappointed by impact reports before"],
    steps=["a visit to the pantry", "a 20 minute call with our founder", "sending last year's impact report",
           "a smaller first gift"],
    feats=["Every dollar you give turns into three meals.", "we grew 3x last year with a 120% net retention",
           "Last year your gift fed 60 families for a month."],
    asks=["would you want your gift to do", "does the board look for", "would make this a fit for the fund",
          "would you need to see from us"],
    actions=["put me down for $1,000 and send the pledge form", "I'll take it to the board on the 12th",
             "book the site visit for next Friday"],
    objections=["we don't fund overhead", "your valuation seems high", "I'd rather give to something local"],
)
D["family"] = dict(
    co=["home", "the family", "us"],
    thing=["the curfew", "the car", "Thanksgiving", "the chores"],
    sq=["everyone's going to the lake house", "I already told Mom we'd come",
        "the party's on Saturday", "my friends all get to stay out till midnight",
        "your brother never does the dishes", "I have practice till 6"],
    pains=["you feel like we don't trust you", "you're stuck in the middle between us and your mom",
           "this weekend matters a lot to you", "you're exhausted by the back and forth"],
    steps=["trying 11 this weekend", "taking turns on the driving", "splitting the holidays this year",
           "a chore chart for a month"],
    feats=["I'll cook the whole dinner if you host", "I can drive them to school on Mondays"],
    asks=["would make you feel okay about it", "would a fair curfew look like", "is making this so hard",
          "would your mom say"],
    actions=["I'll text you when I get there and be home by 11", "okay I'll call Mom tonight",
             "I'll do the dishes Monday and Wednesday"],
    objections=["that's not fair", "you always side with him", "I already made plans"],
)
D["partnerships"] = dict(
    co=["Northstar", "our agency", "Cobalt Labs"],
    thing=["a co-marketing deal", "the referral program", "the integration", "a joint webinar"],
    sq=["we did a partnership like this with HubSpot", "our list is about 30,000 people",
        "our dev team is booked through Q2", "referral fees are usually 15% for us",
        "legal takes forever on partner agreements"],
    pains=["you've done partnerships that went nowhere", "your team's bandwidth is the real constraint",
           "you want proof it's worth the engineering time", "you don't want to annoy your list"],
    steps=["a single joint webinar first", "a 30 day referral trial", "a call with our partner lead",
           "a one page plan before any contract"],
    feats=["Our customers asked for this integration 200 times last year.",
           "We bring 50 qualified leads a month to our partners on average",
           "our partner team builds the integration, you just review it"],
    asks=["would a good first quarter look like", "does your team need to see", "happened with the HubSpot deal",
          "would make this worth your engineers' time"],
    actions=["send the one pager and I'll review it with my CEO Wednesday",
             "let's pick a webinar date, how about the 18th", "I'll intro you to our partner lead today"],
    objections=["we don't pay referral fees above 10%", "our CEO wants exclusivity", "we tried this with another tool"],
)
D["b2b-services"] = dict(
    co=["Brightline Cleaning", "Pinnacle IT", "Anchor Payroll"],
    thing=["the managed IT plan", "office cleaning", "payroll services", "the retainer"],
    sq=["our office manager does payroll in Excel", "we have 25 people across two floors",
        "the current cleaners skip the kitchen", "our IT guy left in June",
        "we pay about $1,800 a month now", "we're locked in until the end of the year"],
    pains=["you're the one who hears every complaint", "you've been doing two jobs since he left",
           "switching vendors feels like more work than it's worth", "one more bad month and it's on you"],
    steps=["a walkthrough on Tuesday", "a 30 day trial on one floor", "a quote by Friday",
           "running one payroll in parallel"],
    feats=["We guarantee a 1 hour response time or the month is free.",
           "our crews are bonded and we check every room against a list",
           "Payroll with us is $6 per employee and we file all the taxes."],
    asks=["is the current vendor getting wrong", "would make switching painless",
          "happens when something breaks on a Friday", "else needs to sign off"],
    actions=["come Tuesday at 8 before everyone's in", "send the quote and I'll approve it by Friday",
             "start us on the 1st"],
    objections=["we're not sure we'll renew the consulting contract", "our lease might move us in spring",
                "the owner's nephew does our IT"],
)
D["real-estate"] = dict(
    co=["Summit Realty", "Keller Homes", "Oakline Properties"],
    thing=["the listing", "the offer", "a valuation", "the house on Maple"],
    sq=["we're not in a hurry to sell", "the Zestimate says 640", "we had an offer at 590 last spring",
        "my mother still lives with us", "we'd need to find something first", "the kitchen is original"],
    pains=["timing is the whole problem", "you don't want to leave money on the table",
           "you're worried about being homeless between houses", "you've had agents overpromise"],
    steps=["a free valuation", "a contingent offer", "listing after the school year",
           "an open house on the 22nd"],
    feats=["I sold four houses on your street this year, all above asking.",
           "we stage and photograph at no cost to you", "My average days on market is 11."],
    asks=["would have to happen for you to feel ready", "would you need to net", "is keeping you in the house",
          "happened with the last offer"],
    actions=["come by Saturday at 1 and walk it", "send me the comps and we'll decide this week",
             "list it on the 1st"],
    objections=["your commission is higher than the other agent", "we're waiting for rates to drop",
                "the market feels soft"],
)
D["healthcare-billing"] = dict(
    co=["St. Mary's billing office", "Valley Radiology", "the clinic"],
    thing=["the balance", "the payment plan", "the appeal", "the bill"],
    sq=["I got a bill for $1,340 and I have insurance", "the ER said it was in network",
        "I already paid $250 at the visit", "insurance denied the MRI", "it's been sent to collections",
        "I'm on a fixed income"],
    pains=["you feel blindsided by this", "the back and forth with insurance is wearing you down",
           "you're scared it'll hit your credit", "nobody explained the charges"],
    steps=["a payment plan while we appeal", "putting the account on hold for 60 days",
           "a three way call with your insurer", "an itemized bill"],
    feats=["We can take 20% off if you pay in full this month", "our financial assistance program covers people under 250% of the poverty line"],
    asks=["did insurance tell you when you called", "could you afford each month",
          "would you need from us for the appeal", "happened at the visit"],
    actions=["put it on hold and I'll send the EOB tomorrow", "set up $80 a month starting the 1st",
             "I'll call my insurer this afternoon and call you back"],
    objections=["I shouldn't owe anything", "that charge is for a test I never had",
                "I'm not paying until they explain it"],
)
D["telecom"] = dict(
    co=["Clearwave", "FiberOne", "Skyline Mobile"],
    thing=["the fiber plan", "the family plan", "the retention offer", "the bundle"],
    sq=["I'm paying $95 for internet that drops every night", "the other company offered $50 for a year",
        "we have four lines", "I've been a customer for nine years", "I work from home"],
    pains=["loyalty hasn't counted for much", "the outages are hurting your work", "you're ready to walk"],
    steps=["a technician visit this week", "a 12 month price lock", "a credit for the outages"],
    feats=["I can get you gig speed for $60 locked for 24 months.", "the family plan includes Disney+ and 4 lines for $140"],
    asks=["would it take to keep you", "happens when it drops", "matters more, speed or price"],
    actions=["lock the $60 in and send the tech Thursday", "okay switch me today"],
    objections=["I've heard that before", "the contract has a cancellation fee"],
)
D["home-services"] = dict(
    co=["Evergreen Landscaping", "Summit Roofing", "ProFlow Plumbing"],
    thing=["the roof", "the spring cleanup", "a water heater", "the deck"],
    sq=["the roof is 22 years old", "we got three quotes already", "the water heater is making noise",
        "my son usually mows", "insurance might cover part of it"],
    pains=["you've had contractors disappear mid job", "the quotes are all over the place",
           "you want it done before winter"],
    steps=["a free inspection on Thursday", "a written quote", "starting on the 15th"],
    feats=["We've done 400 roofs in your zip code and we handle the insurance paperwork.",
           "Our crew is out of there in one day and we haul everything away."],
    asks=["did the other quotes include", "would make you comfortable choosing us", "else should see the quote"],
    actions=["come Thursday at 4, I'll leave the gate open", "send the quote and I'll sign by the weekend"],
    objections=["that's twice what the other guy said", "I'd rather wait till spring"],
)

# ------------------------------------------------------------------------------------------
# Phrasings. {x} are filled from the domain; registers are applied afterwards.

NAMES_ME = ["Tom", "Priya", "Jordan", "Ana", "Mike", "Keisha", "Luis", "Beth", "Omar", "Grace"]
NAMES_THEM = ["Mr. Patel", "Linda", "Dave", "Ms. Chen", "Rob", "Carla", "Jim", "Aisha"]
PEOPLE = ["my wife", "my husband", "my boss", "the CFO", "our ops lead", "my business partner", "the board"]
TIMES = ["Monday", "Tuesday at 10", "Thursday at 3:30", "Friday morning", "the 15th", "next week",
         "tomorrow at 9", "tonight", "end of day", "Wednesday at 2"]


def pick(xs):
    return R.choice(xs)


def me_other(d):
    return pick([
        f"Hi {pick(NAMES_THEM)}, it's {pick(NAMES_ME)} from {pick(d['co'])}.",
        f"hey this is {pick(NAMES_ME)} with {pick(d['co'])}",
        "Thanks for picking up.", "thanks for taking the call", "Sorry, you cut out for a second.",
        "let me pull up your file real quick", "Give me one second, my screen froze.",
        f"I'll put that in the notes.", "okay got it", "That helps, thank you.",
        "I'm calling about the form you filled out on our site.",
        "sorry i missed your call yesterday", "Hang on, let me grab a pen.",
        f"I'll send a summary after this call.", "no rush at all",
        "I appreciate you being straight with me.", "let me write that down",
    ])


def you(s):
    """Turns their statement into "me"'s declarative question about it."""
    rep = [(r"\bI'm\b", "you're"), (r"\bI've\b", "you've"), (r"\bI\b", "you"), (r"\bmy\b", "your"),
           (r"\bwe're\b", "you're"), (r"\bwe've\b", "you've"), (r"\bwe\b", "you"), (r"\bour\b", "your"),
           (r"\bus\b", "you")]
    for a, b in rep:
        s = re.sub(a, b, s, flags=re.I)
    return s


def yes_q(d):
    step = pick(d["steps"])
    return pick([
        "Do you have a couple of minutes?", "got a sec", "Can I ask you a few questions?",
        f"Would {step} work for you?", f"can we do {step}", f"So you'd be open to {step}?",
        f"You want to get this sorted before {pick(TIMES)}, right?",
        f"Don't you think {step} makes sense?", f"wouldn't it be nice to not worry about {pick(d['thing'])}",
        f"so {you(pick(d['sq']))}", f"So {you(pick(d['sq']))}?", f"{you(pick(d['sq']))}?", f"And you're the one who decides on {pick(d['thing'])}?",
        f"Are you happy with how {pick(d['thing'])} is going?", "is that fair",
        f"so if I got you {step} you'd be in", f"you'd agree that's a fair number, yeah?",
        f"Is {pick(TIMES)} good for you?", f"Can I send over {pick(['a proposal', 'the numbers', 'a quote', 'some info'])}?",
        "That sounds reasonable, doesn't it?", f"so you're still using {pick(d['thing'])}",
    ])


def no_q(d):
    step = pick(d["steps"])
    return pick([
        "Is now a bad time to talk?", "is this a terrible time", "Did I catch you at a bad time?",
        f"Would it be crazy to start with {step}?", f"would it be ridiculous to think about {step}",
        f"Are you against {step}?", f"are you opposed to {step}",
        f"Have you given up on {pick(['getting a better rate', 'fixing this', 'finding something better', 'sorting this out'])}?",
        f"Would it be a terrible idea to try {step}?", f"is it unreasonable to ask for {step}",
        f"Would you hate it if we tried {step}?", f"would it hurt to look at {step}",
        f"Is it a bad idea to set up {step}?", f"Would you be against {step}?",
        "Is it too late to talk about this?", f"would it be out of line to suggest {step}",
        "Do you want to give up on this altogether?",
    ])


def label(d):
    p = pick(d["pains"])
    return pick([
        f"It sounds like {p}.", f"sounds like {p}", f"It seems like {p}.", f"seems like {p}",
        f"It looks like {p}.", f"It feels like {p}.", f"I'm guessing {p}.", f"I get the sense {p}.",
        f"it sounds like {p} huh", f"Sounds like {p}, and this call is one more thing on your plate.",
        "It seems like this is the wrong time.", "sounds like you've already made up your mind",
        "You seem pretty frustrated with all this.", "It sounds like you've been burned before.",
        f"I'm sure you've heard a hundred pitches like this.", "seems like you're not convinced",
    ])


def calibrated(d):
    a = pick(d["asks"])
    return pick([
        f"What {a}?", f"what {a}", f"How {pick(['do you decide', 'are you handling this today', 'would you like to handle the timing', 'am I supposed to make that work'])}?",
        f"Who else should be in that meeting?", "who else weighs in on this", f"Walk me through how you do it today.",
        "what happens if nothing changes", "How would you like to proceed?", f"What {a}, if you don't mind me asking?",
        "what's the biggest challenge right now", "How did you land on that number?",
        "What would it take to make this work for you?", "what's making this hard",
        "How does your team handle it when it goes wrong?", "what would you change if you could",
    ])


def pitch(d):
    f = pick(d["feats"])
    tail = pick(["", "", "", " and honestly nobody else does that", " just so you know", " which is pretty rare"])
    f2 = f.rstrip(".") + tail + ("." if f.endswith(".") else "")
    return pick([f2, f2, f"So {f2[0].lower() + f2[1:]}", f"The thing is, {f2[0].lower() + f2[1:]}",
                 f"I'd love to tell you about {pick(d['thing'])}. {f2}"])


def mirror_of(prev):
    words = re.sub(r"[^\w$%',:\s.]", " ", prev).split()
    words = [w.strip(".,") for w in words if w.strip(".,")]
    if len(words) < 2:
        return None
    k = R.choice([1, 2, 2, 3, 3, 4])
    k = min(k, len(words))
    tail = words[-k:]
    if tail[-1].lower() in {"the", "a", "to", "and", "of", "it", "is", "i", "we", "for"} and len(words) > k:
        tail = words[-k - 1:-1]
    m = " ".join(tail)
    m = re.sub(r"\bmy\b", "your", m, flags=re.I)
    m = re.sub(r"\bour\b", "your", m, flags=re.I)
    m = re.sub(r"\bwe\b", "you", m, flags=re.I)
    m = re.sub(r"\bI\b", "you", m)
    return pick([m + "?", m + "?", m + "...", m.lower()])


# "them" replies -------------------------------------------------------------------------

def info(d):
    s = pick(d["sq"] + d["objections"])
    return s


def t_other_info(d):
    s = info(d)
    return pick([s[0].upper() + s[1:] + ".", s, f"well, {s}", f"I mean {s}", f"{s}, so",
                 f"honestly {s}", f"{s}. that's the thing", f"so {s}"])


def t_question(d):
    return pick(["How much is it?", "who is this again", "What's it going to cost me?", "how did you get my number",
                 "Is that per month or per year?", "what company did you say", "Does that include tax?",
                 "how long does it take", "What's the catch?", "Can you repeat that?"])


def t_backchannel():
    return pick(["Okay.", "okay", "Mm hmm.", "uh huh", "I see.", "hm okay", "Got it.", "mhm", "Oh.", "oh wow",
                 "Interesting.", "okay, go on"])


def t_confirm(d, short_only=False):
    bare = ["Yes.", "yeah", "Yep.", "yes", "Right.", "Correct.", "Of course.", "Definitely.", "yep",
            "That's correct.", "Yes, it is.", "yeah we do", "Absolutely.", "sure is", "yes I am"]
    if short_only or R.random() < 0.35:
        return pick(bare)
    s = info(d)
    lead = pick(["Yes, ", "yeah ", "Yeah, ", "Right, ", "yep, ", "Yes. ", "right ", "Correct, "])
    return lead + s + pick([".", "", ""])


def t_counterfeit(d):
    return pick([
        "I guess.", "i guess so", "Maybe.", "maybe yeah i dont know", "Maybe, yeah, I don't know.",
        "I suppose.", "I suppose so, yeah.", "Sure, just send me something.", "yeah sure just email me",
        "You're right.", "you're right i guess", "Probably.", "Uhm, I think so.", "uh sure",
        "We'll see.", "Could be.", "Possibly.", "I'll think about it.", "yeah, I mean, I guess",
        "uh, I mean, yeah, I guess", "Sounds good, put it in an email.", "sure sure, whatever works",
        "I mean, maybe, if the numbers work", "Yeah, probably, I don't know.", "hmm, maybe",
        "i guess that could work", "Sure, send me a brochure and I'll look at it sometime.",
        "Yeah yeah, sounds great, send it over.", "I suppose we could, yeah.",
    ])


def t_hesitant_bare():
    """A bare yes-word said with hesitation in the text: counterfeit."""
    return pick(["Uh, yes.", "um... okay", "Hmm. Sure.", "uh yeah", "Er, okay.", "um sure", "Uh... yes, I think so.",
                 "hmm okay", "I mean... yes.", "Um, right."])


def t_commit(d, after_no_q=False):
    a = pick(d["actions"])
    lead = pick(["Okay, ", "okay ", "Sure, ", "Yes, ", "yeah ", "Fine, ", "Deal. ", "Let's do it, ", "", ""])
    if after_no_q:
        lead = pick(["No, ", "no ", "Not at all, ", "not at all ", "No, that's fine, ", "Nope, ", "No, go ahead, "])
    s = lead + a
    return s[0].upper() + s[1:] + pick([".", "", "."])


def t_no(d, after_no_q=False):
    if after_no_q:
        return pick([
            "No, go ahead.", "no its fine", "Not at all.", "no not really", "No, it's fine, go ahead.",
            "nope", "No, I've got a few minutes.", "not at all go ahead", "no, that wouldn't be crazy",
            "No, I haven't given up.", "No.", "Not really, no.",
            # a yes to a no-oriented question refuses
            "Yes, call me next week.", "yeah it is, I'm driving", "Yes, it would, we just did that.",
            "yes actually im in a meeting", "Honestly, yes.", "Yeah, I'm against it.",
        ])
    return pick([
        "No.", "no thanks", "Not yet.", "No, we're good.", "nope not interested", "No, that doesn't work for us.",
        "I don't think so.", "absolutely not", "no, not at this point", "Not really.", "we're not going to do that",
        f"No, {info(d)}.", f"no {info(d)}", "That's not it.", "no that's not really it", "Nah.",
        "No, I'm not interested in that.", "no we cant do that",
    ])


def t_thats_right(d):
    return pick([
        "That's right.", "thats right", "Exactly.", "exactly", "That's exactly it.", "Yes, that's right.",
        f"That's right, {info(d)}.", f"exactly {info(d)}", "That's it exactly.", "that's exactly right",
        "Yes! Exactly.", "yeah thats right", f"Exactly. {info(d)[0].upper() + info(d)[1:]}.",
    ])


# ------------------------------------------------------------------------------------------
# Registers.

FILL = ["uh", "um", "I mean", "like", "you know"]


def asr(s):
    s = s.lower()
    s = re.sub(r"[?!;.,\"]", "", s) if not re.search(r"\d[.,]\d", s) else re.sub(r"[?!;\"]|(?<!\d)[.,]|[.,](?!\d)", "", s)
    return re.sub(r"\s+", " ", s).strip()


def disfluent(s, yes_word_ok=False):
    """Insert a filler or a repeat inside the sentence, never before a bare yes-word."""
    w = s.split()
    if len(w) < 6:
        return s
    i = R.randint(2, len(w) - 1)
    f = pick(FILL + ["repeat"])
    if f == "repeat":
        return " ".join(w[:i] + [w[i].rstrip(",.") + "-"] + w[i:])
    return " ".join(w[:i] + [f + ","] + w[i:])


def register(s, sp, act, style):
    if style == "asr":
        s = asr(s)
    elif style == "disfluent" and act not in ("confirmation_yes", "thats_right"):
        s = disfluent(s)
    elif style == "disfluent-asr" and act not in ("confirmation_yes", "thats_right"):
        s = asr(disfluent(s))
    return s


# ------------------------------------------------------------------------------------------
# A call.

def answer_to(kind, d):
    """The reply of "them" to a "me" act, with its label."""
    r = R.random()
    if kind == "no_question":
        if r < 0.45:
            return t_no(d, True), "no"
        if r < 0.7:
            return t_commit(d, True), "commitment_yes"
        if r < 0.85:
            return t_counterfeit(d), "counterfeit_yes"
        return t_other_info(d), "other"
    if kind == "yes_question":
        if r < 0.4:
            return t_confirm(d), "confirmation_yes"
        if r < 0.58:
            return t_counterfeit(d), "counterfeit_yes"
        if r < 0.66:
            return t_hesitant_bare(), "counterfeit_yes"
        if r < 0.8:
            return t_no(d), "no"
        if r < 0.9:
            return t_commit(d), "commitment_yes"
        return t_question(d), "other"
    if kind == "label":
        if r < 0.4:
            return t_thats_right(d), "thats_right"
        if r < 0.6:
            return t_confirm(d), "confirmation_yes"
        if r < 0.78:
            return t_no(d), "no"
        return t_other_info(d), "other"
    if kind == "calibrated_question":
        if r < 0.85:
            return t_other_info(d), "other"
        return pick(["good question", "Hm, I'd have to think about that.", "i dont know honestly"]), "other"
    if kind == "mirror":
        if r < 0.75:
            return t_other_info(d), "other"
        return t_thats_right(d), "thats_right"
    if kind == "pitch":
        if r < 0.35:
            return t_backchannel(), "other"
        if r < 0.55:
            return t_counterfeit(d), "counterfeit_yes"
        if r < 0.8:
            return t_other_info(d), "other"
        return t_question(d), "other"
    # me other
    if r < 0.5:
        return t_backchannel(), "other"
    if r < 0.8:
        return pick(["hi", "Hello?", "yeah hi", "Hey, what's up?", "speaking", "who's this", "no problem"]), "other"
    return t_other_info(d), "other"


PLANS = [
    ["other", "no_question", "label", "calibrated_question", "mirror", "calibrated_question", "pitch", "no_question"],
    ["other", "yes_question", "yes_question", "pitch", "yes_question", "yes_question"],
    ["other", "label", "mirror", "calibrated_question", "label", "pitch", "no_question"],
    ["them-first", "mirror", "label", "calibrated_question", "mirror", "no_question", "yes_question"],
    ["other", "no_question", "calibrated_question", "calibrated_question", "calibrated_question", "pitch", "yes_question"],
    ["them-first", "calibrated_question", "mirror", "label", "pitch", "pitch", "no_question"],
]

ME_ACT = {"yes_question": yes_q, "no_question": no_q, "label": label, "calibrated_question": calibrated,
          "pitch": pitch, "other": me_other}


def conversation(name, d):
    rows = []
    style = pick(["plain", "plain", "asr", "asr", "disfluent", "disfluent-asr", "mixed"])
    plan = list(pick(PLANS))
    # vary the plan: drop a move or add one
    if R.random() < 0.5 and len(plan) > 5:
        del plan[R.randint(2, len(plan) - 2)]
    if R.random() < 0.5:
        plan.insert(R.randint(2, len(plan)), pick(["mirror", "label", "calibrated_question", "yes_question", "pitch"]))
    last_them = ""

    def emit(sp, text, act):
        st = style if style != "mixed" else pick(["plain", "asr", "disfluent"])
        rows.append({"conv": name, "domain": name.rsplit("-", 1)[0], "speaker": sp,
                     "text": register(text, sp, act, st), "act": act})

    for mv in plan:
        if mv == "them-first":
            last_them = t_other_info(d)
            emit("them", last_them, "other")
            continue
        if mv == "mirror":
            m = mirror_of(rows[-1]["text"]) if rows and rows[-1]["speaker"] == "them" and rows[-1]["act"] == "other" else None
            if m is None:
                last_them = t_other_info(d)
                emit("them", last_them, "other")
                m = mirror_of(rows[-1]["text"])
            if m is None:
                continue
            rows.append({"conv": name, "domain": name.rsplit("-", 1)[0], "speaker": "me", "text": m, "act": "mirror"})
        else:
            emit("me", ME_ACT[mv](d), mv)
        # occasionally "me" rambles on with another act before the answer (two me lines)
        t, a = answer_to(mv, d)
        emit("them", t, a)
        if a == "other" and R.random() < 0.25:
            emit("them", t_other_info(d), "other")
    return rows


def main():
    out_dir = os.path.join("tests", "fixtures", "acts", "domains")
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    for dom, d in D.items():
        rows = []
        n = 0
        while len(rows) < 105:
            n += 1
            rows.extend(conversation(f"{dom}-{n:02d}", d))
        with open(os.path.join(out_dir, f"{dom}.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        total += len(rows)
        print(f"{dom}: {len(rows)} lines, {n} calls")
    print("total", total)


if __name__ == "__main__":
    main()
