"""The words track names are made of, and what each says about a track's stem role.

Written from studio practice (Pro Tools, Logic, Ableton, Reaper and Cubase exports,
stem deliveries, the Cambridge-style ``01_KickIn`` numbering) and the instrument words
of German, Spanish, French and Italian sessions. Words are stored lower case and
without accents (``batería`` is looked up as ``bateria``).

Each role word has a *rank*, how specific it is:

- 2.0 an instrument or source (``kick``, ``rhodes``, ``bgv``, ``riser``),
- 1.5 a family or a word that usually names one (``vox``, ``keys``, ``perc``, ``sub``,
  ``synth``, ``acoustic``),
- 1.0 a weak hint (``room``, ``amp``, ``loop``, ``lead``, ``dbl``).

The most specific word decides; between equals the last one does, because the head of
an English noun phrase comes last (``Synth Bass`` is a bass, ``Bass Drum`` a drum) and
song titles and group prefixes come first (``Night Owl - Snare``, ``DRUMS - Kick In``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def _folded(word: str) -> str:
    """Lower case without combining marks, as the tokenizer looks words up (kana and hangul
    included: both sides are folded alike)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (how the word tables below are written),
    folded as the tokenizer folds what it looks up."""
    return frozenset(_folded(word) for word in text.split())


#: ``role rank: words...`` one line per group; parsed once at import.
_ROLE_WORDS = """
drums 2: kick kik kck bd bassdrum kickdrum snare snr sn sd snaredrum sna hihat hh hat hats hhat
drums 2: tom toms tomtom floortom racktom standtom hangetom ft oh ohs overhead overheads ovh
drums 2: ovhd ohd
drums 2: cymbal cymbals cym cymb ride crash china splash rim rimshot sidestick crossstick
drums 2: schlagzeug becken bombo caja charles aereos platos charleston cassa rullante piatti
drums 2: drumkit drummer linndrum breakbeat bateria batterie batteria cymbales
drums 2: addictive superior ezdrummer ssd bfd battery ultrabeat stylus stacker grancassa charley
drums 2: bumbo caixa chimbal trummor trommer
drums 1.5: fpc beatbox drums drum kit break brushes brush sticks stick rack floor timbal caisse
drums 1.5: dembow
drums 1.5: glyn johns knee ortf spacedpair
drums 2: recorderman underhead underheads
drums 2: spd octapad ekit rolandtd
drums 1.5: trigger tamburo impulse
drums 1.5: 909 707 606 tr808 tr909 trash crush
drums 1: room rooms rm raum amb loop beat fills fill groove amen
percussion 2: perc percs percussion percussions percusion percussioni perkussion schlagwerk
percussion 2: shaker shakers shkr shk egg tamb tambo tambourine tamborine tambourin tamburin
percussion 2: tamburello pandereta pandero conga congas tumba quinto bongo bongos cowbell
percussion 2: cabasa guiro claves woodblock triangle triangolo triangel timbales cajon djembe
percussion 2: tabla maracas castanets castanuelas agogo clap claps handclap handclaps snap snaps
percussion 2: fingersnap fingersnaps stomp stomps klatschen palmas timpani timps timp pauken
percussion 2: glock glockenspiel vibes vibraphone vibrafono marimba xylophone xylo chimes gong
percussion 2: surdo udu rainstick spoons vibraslap cuica berimbau guira tam handperc steeldrum
percussion 2: balafon daf mridangam kanjira ghatam shekere caxixi repinique timbau
percussion 2: nyabinghi tumbadoras tumbadora logdrum talkingdrum
percussion 2: cencerro clave bodhran washboard handpan hangdrum gamelan taiko dhol darbuka riq
percussion 2: bendir framedrum timpano clp prc tmb cga percussao pandeiro ganza triangulo
percussion 1.5: bell bells
percussion 2: glk xyl vib crotales
bass 2: bass bs basse bajo basso bassline subbass reese fretless kontrabass contrabass
bass 2: contrebasse contrabajo contrabbasso bassgitarre trilian synthbass bss lowend
bass 2: contrabbassi baixo elbas
bass 1.5: sub 808 upright wobble base ampeg svt 303
bass 2: taurus
guitars 2: gtr gtrs guitar guitars guit gitarre gitarren guitarra guitarras guitare guitares
guitars 2: chitarra chitarre eg ag egtr agtr acgtr egit git nylon dobro banjo mandolin mando
guitars 2: mandolina mandoline mandolino ukulele uke sitar bouzouki ebow resonator charango
guitars 2: nashville
guitars 2: ngoni theorbo
guitars 2: cuatro balalaika lute oud saz pipa shamisen requinto gt gtar powerchords axefx kemper
guitars 2: marshall violao cavaquinho gitaar elgtr
guitars 2: ac30 telecaster tele strat stratocaster 12string 6string
guitars 1.5: el ac acoustic acustica acustico akustik acoustique electric elec elettrica
guitars 1.5: elettrico seche
guitars 1.5: electrica electrico electrique elektrisch steel strum strumming
guitars 1: amp cab rhythm rhy riff riffs crunch fuzz dist distortion clean fender gibson helix
keys 2: piano pno pianos pianoforte klavier fluegel rhodes wurli wurlitzer organ organs org
keys 2.5: mellotron tron
keys 2: ham hammo
keys 2: orgel orgue organo hammond b3 leslie clav clavinet harpsichord cembalo clavecin
keys 2: clavicembalo celesta celeste accordion akkordeon acordeon accordeon
keys 2: fisarmonica melodica harmonium ep epiano cp70 cp80 keyscape teclado teclados
keys 2: tastiera tastiere clavier claviers keyboard keyboards farfisa kbd kbds kb continental
keys 2: suitcase honkytonk
keys 2: bandoneon concertina clavichord fortepiano
keys 2: orgao sanfona toetsen
keys 1.5: keys key grand chords chord rotary nord kronos motif triton
keys 1.5: mainstage
synths 2: pad pads arp arps arpeggio arpeggiator pluck plucks supersaw vocoder talkbox
synths 2: sintetizador synthesizer synthesiser synthetiseur sintetizzatore nappe nappes
synths 1.5: synth synths syn moog minimoog juno prophet ob6 jupiter dx7 modular
synths 1.5: seq sequence stab stabs saw growl acid drone serum sylenth massive omnisphere
synths 1.5: nexus spire vital diva pigments alchemy es2 polysynth monosynth synthe synthes 3xosc
synths 1.5: poly
synths 1.5: ondes martenot presence maitai
synths 1.5: sytrus harmor harmless operator wavetable retrologue padshop korg virus ms20 sh101
synths 1: swell lead
strings 2: strings str strs violin violins vln vn vla viola violas cello cellos celli vc vcl
strings 2: fiddle orch orchestra orchestral pizz pizzicato spicc spiccato harp harps arpa
strings 2: harpe harfe violino violini violon violons geige geigen violine bratsche
strings 2: violoncelle violoncello cuerdas cordes archi streicher violonchelo viole violoncelli
strings 2: santoor santur nyckelharpa kora autoharp lyre
strings 2: erhu guzheng koto dulcimer zither contrabasses doublebasses cordas strgs strngs
strings 1.5: string quartet ensemble ens basses
strings 1.5: cb cbs hp
strings 1: decca tree outrigger outriggers
horns 2: horns horn hn hrn brass trumpet trumpets tpt tpts trp tromba trompete trompeta
horns 2: trompette trombone trombones tbn trb posaune trombon sax saxes saxophone saxophon
horns 2: saxofon saxo flugelhorn flugel cornet tuba euphonium flute flutes flauta flote flauto
horns 2: piccolo clarinet clarinets clarinete clarinette klarinette clarinetto oboe hautbois
horns 2: ww
horns 2: bassoon fagott fagot fagotto basson woodwind woodwinds winds cuivres metales blaser
horns 2: blaeser fiati ottoni vientos recorder brs hrns metais sopros
horns 2: shakuhachi duduk ney zurna bansuri ocarina panpipes panflute
horns 1.5: bari baritone bone fl cl clar
horns 2: picc
horns 1.5: tba ob bsn
horns 1: tenor alto sop tenore
lead_vocals 2: lv leadvox leadvocal gesang leadgesang hauptstimme stimme voz voix voce
lead_vocals 2: singer rap rapper mc spoken narration narrator speech acapella acappella cappella
lead_vocals 2: cantante vocalist sprecher sprache zang sang
lead_vocals 1.5: vox vocal vocals voc vx voice vocs voces hook vo dialogue dialog
lead_vocals 1.5: host scream screams talk
lead_vocals 1.5: pastor preacher announcer speaker minister
lead_vocals 1.5: artist feature feat
lead_vocals 1: verse
backing_vocals 2: bgv bgvs bv bvs bvox bgvox backing backings backup backups harmony harmonies
backing_vocals 2: harm harms hrm backgesang backgroundgesang choir choirs chor chore coro coros
backing_vocals 2: cori choeur choeurs ooh oohs oooh aah aahs ahh ahhs adlib adlibs chant chants
backing_vocals 2: shouts shout voices voci zweitstimme bkgd bckgrnd bck hum hums humming
backing_vocals 2: achtergrondzang korer koor
backing_vocals 1.5: background bg bgs bkg bk back
backing_vocals 1.5: yell yells gang
backing_vocals 1: soprano
backing_vocals 1: dbl dbls double doubles dt stack stacks layer layers
fx 2: fx sfx efx effects effect effekte efectos effets effetti riser risers uplifter downlifter
fx 2: sweep sweeps whoosh swoosh woosh impact impacts boom booms noise vinyl crackle reverse
fx 2: transition transitions atmosphere atmos atmo ambience ambiance texture textures
fx 2: soundscape foley rain birds glitch stutter verb reverb delay dly throw throws airhorn
fx 2: siren laser zap scratches turntable turntables downshifter tapestop subdrop ocean thunder
fx 2: downer
fx 2: braams braam
fx 2: backwards backward orchhit
fx 2: traffic waves storm nature forest fieldrecording echo roomtone cymbalswell buildup efeitos
fx 1.5: hit hits crowd return returns radio tape wind feedback build
fx 1.5: congregation
fx 1.5: audience
fx 1: phone telephone megaphone drop ambient
other 2: harmonica whistle whistling theremin bagpipes bagpipe kalimba mbira
other 2: didgeridoo musicbox armonica kazoo jawharp tinwhistle pennywhistle uilleann
other 2: tanpura tambura hurdygurdy
other 1: sample samples melody chops chop kontakt sampler interlude skit backingtrack
other 2: bandroom
drums 2: perkusja stopa werbel talerze bici barabany bochka davul rummut tobe drm drms drumz
drums 2: ドラム キック スネア ハイハット タム オーバーヘッド 鼓 架子鼓 底鼓 军鼓 드럼 킥 스네어
bass 2: bassist basgitaar basszus baix basa ベース 贝斯 低音 베이스
guitars 2: gitara kytara gitar kitara アコギ エレキ ギター 吉他 기타
keys 2: klawisze klavesy klavishi klaver koskettimet teclats ピアノ オルガン 钢琴 키보드 피아노
synths 2: シンセ 合成器 신스
strings 2: strijkers ストリングス 弦乐 스트링
horns 2: blazers ブラス 铜管 브라스
percussion 2: パーカッション 打击乐 퍼커션
lead_vocals 2: wokal vokal zpev laulu enek veu singing ボーカル リードボーカル 歌 人声 主唱 보컬
lead_vocals 1.5: sing
backing_vocals 2: chorki sbor koro kor kuoro korus cors コーラス ハモリ 和声 合唱 코러스
fx 2: 効果音 音效 효과
"""

#: First names: a track named after a person alone is most often their vocal (``Sarah``,
#: ``Sarah Lead``); with an instrument word the instrument decides (``Sarah Gtr``).
PERSON_NAMES = word_set(
    """
    aaron adam adrian alex alice alicia amanda amy ana andre andrea andrew andy angela anna
    anne annie anthony ben beth brian caroline carlos chloe chris christina claire clara dan
    daniel dave david diana ed eddie elena eli elijah ella ellie emily emma eric erica ethan
    eva frank gabriel george hannah harry helen henry isaac isabel jack jacob jake james jamie
    jane jason jay jen jenny jess jessica jessie jim jimmy joe john johnny jon jordan jose
    josh julia julie justin kate katie kelly kevin kim kyle laura lauren leo lily lisa liz lucy
    luis luke maria marie mark mary matt max megan mia michael michelle mike natalie nick nico
    nina noah olivia paul peter rachel rebecca rob robert ryan sam sara sarah sean simon sofia
    sophie steph steve susan tim tina tony vicky will zoe
    """
)

#: Words that keep a track out of every stem.
HARD_EXCLUDE = word_set(
    """
    click clicks clicktrack clk klick clic claqueta claquete metronome metronom metronomo
    metronomo guide guides guia guida scratch ref refs reference referenz referencia rough
    roughs roughmix demo demos talkback timecode smpte ltc slate count countin instrumental
    memo karaoke pinknoise talkback countoff クリック ガイド 仮歌 オケ 节拍器 클릭 가이드
    """
)

#: Words that mean a whole-song file, unless an instrument word says otherwise
#: (``Mix`` is excluded, ``Drum Mix`` is the drums).
SOFT_EXCLUDE = word_set(
    """
    mix mixes mixdown 2mix master masters mastered mastering premaster bounce bounced print
    printed tv cue cues tb md tone tones 1k 1khz sine notes fullsong radioedit explicit
    """
)

#: With a vocal word, these make it a backing vocal even next to ``lead``.
BACKING_MODIFIERS = word_set(
    """
    dbl dbls double doubles dt harm harms harmony harmonies hrm bgv bv oct octave octaves
    unison triple quad trpl pad pads stack stacks layer layers segunda seconda zweitstimme
    choir ooh oohs aah aahs adlib adlibs gang group crowd answer response responses shout
    shouts chants thirds fifths bg bgs bk bkg back backing backup backups background
    """
)

#: With a vocal word and no ``lead``, these make it a backing vocal (``Vox Hi``).
WEAK_BACKING_MODIFIERS = word_set("hi high lo low whisper whispers falsetto 2nd 3rd soprano sop alto tenor baritone")

#: Words marking the main voice (``Lead Vox``, ``Voz Principal``, ``Hauptstimme``).
LEAD_MARKERS = word_set("lead ld main principal principale lider haupt solista")

#: Words that turn whatever they name into an effect track (``Vox Throw``, ``Gtr FX``).
FX_MODIFIERS = word_set(
    """
    fx sfx efx throw throws verb reverb delay dly echo reverse backwards backward chops chop effects tapestop
    """
)

#: Synthesiser words that turn strings, brass, choir or bells into a synth (``Synth Strings``).
SYNTH_MODIFIERS = word_set("synth synths syn moog minimoog juno prophet ob6 jupiter modular")

#: Words that carry no role: positions, mic models, takes, channel and DAW words.
FILLERS = word_set(
    """
    score open closed mute muted body neck dirty hard soft loud quiet short long fast slow big small wide
    narrow center centre rear ghost parallel smash crushed compressed gated gate
    lofi in out inside outside top bot btm bottom up down under over front reso resonant beater hi
    lo low high mid l r m s c lt rt left right mono stereo st ms side sides close far near di
    dir direct line mic mics cab dry wet proc processed raw edit edited edits comp comped comps
    tuned tune tuning final take takes tk t v ver version alt new old copy dup bip cnsl
    consolidated stem stems track tracks trk audio ch chan channel input bus aux group grp part
    pt section intro outro chorus bridge pre prechorus solo roll the and of a for sm57 sm58 sm7
    sm7b sm81 u87 u47 u67 m81 m88 m80 m201 414 c414 d112 d6 beta beta52 beta91 beta57 e602 e604
    e609 e906 md421 421 km184 km84 r121 re20 re27 nt1 tlm tlm103 c12 251 4038 4033 coles royer
    ribbon condenser fet 47fet ksm at4050 pr40 nyquist sh 57 58 87 47 oben unten links rechts
    arriba abajo dentro fuera sopra sotto dessus dessous gauche droite izq der sinistra destra
    innen aussen teppich mikro bpm maj min vintage studio classic steinway stand konzert quer
    full trig smpl male female boy girl man woman bnc bnce tr
    """
)

#: Names made only of these (and numbers) are DAW defaults: ``Audio 07``, ``Track 12``.
DAW_DEFAULT_WORDS = word_set(
    """
    spare audio track tracks trk inst instrument instruments software midi new untitled bus aux group
    grp take comp ch chan channel input in stereo mono copy dup st
    """
)

#: Adjacent word pairs that mean something other than their parts.
PAIRS: dict[tuple[str, str], str] = {
    ("bass", "drum"): "bassdrum",
    ("bass", "drums"): "bassdrum",
    ("kick", "drum"): "kick",
    ("grosse", "caisse"): "bassdrum",
    ("caisse", "claire"): "snare",
    ("hi", "hat"): "hihat",
    ("hi", "hats"): "hihat",
    ("high", "hat"): "hihat",
    ("side", "stick"): "sidestick",
    ("cross", "stick"): "sidestick",
    ("floor", "tom"): "floortom",
    ("rack", "tom"): "racktom",
    ("steel", "drum"): "steeldrum",
    ("steel", "drums"): "steeldrum",
    ("steel", "pan"): "steeldrum",
    ("steel", "pans"): "steeldrum",
    ("bass", "gtr"): "bass",
    ("bass", "guitar"): "bass",
    ("bass", "gitarre"): "bass",
    ("bass", "guit"): "bass",
    ("string", "bass"): "bass",
    ("pink", "noise"): "pinknoise",
    ("music", "box"): "musicbox",
    ("sub", "drop"): "subdrop",
    ("air", "horn"): "airhorn",
    ("ad", "lib"): "adlib",
    ("ad", "libs"): "adlibs",
    ("b", "vox"): "bvox",
    ("bg", "vox"): "bgvox",
    ("hand", "claps"): "handclaps",
    ("hand", "clap"): "handclaps",
    ("hand", "perc"): "handperc",
    ("finger", "snaps"): "fingersnaps",
    ("finger", "snap"): "fingersnaps",
    ("cow", "bell"): "cowbell",
    ("wood", "block"): "woodblock",
    ("tape", "stop"): "tapestop",
    ("count", "in"): "countin",
    ("e", "piano"): "epiano",
    ("electric", "piano"): "epiano",
    ("elec", "piano"): "epiano",
    ("e", "gtr"): "egtr",
    ("a", "gtr"): "agtr",
    ("e", "gitarre"): "gitarre",
    ("e", "bass"): "bass",
    ("tubular", "bells"): "chimes",
    ("bell", "tree"): "chimes",
    ("mark", "tree"): "chimes",
    ("wind", "chimes"): "chimes",
    ("voice", "memo"): "memo",
    ("a", "cappella"): "acapella",
    ("lead", "vox"): "leadvox",
    ("lead", "vocal"): "leadvocal",
    ("lead", "vocals"): "leadvocal",
    ("spoken", "word"): "spoken",
    ("french", "horn"): "horn",
    ("fr", "horn"): "horn",
    ("english", "horn"): "oboe",
    ("sound", "fx"): "sfx",
    ("white", "noise"): "noise",
    ("drum", "machine"): "drumkit",
    ("reverse", "cymbal"): "reverse",
    ("rev", "cymbal"): "reverse",
    ("rev", "crash"): "reverse",
    ("2", "track"): "2mix",
    ("2", "trk"): "2mix",
    ("2", "mix"): "2mix",
    ("two", "track"): "2mix",
    ("stereo", "mix"): "mix",
    ("full", "mix"): "mix",
    ("1", "k"): "1k",
    ("1", "khz"): "1k",
    ("dj", "scratch"): "scratches",
    ("vox", "ac30"): "ac30",
    ("12", "string"): "12string",
    ("12", "str"): "12string",
    ("6", "string"): "6string",
    ("steel", "string"): "12string",
    ("tam", "tam"): "gong",
    ("tom", "tom"): "tomtom",
    ("mid", "bass"): "bass",
    ("talk", "back"): "talkback",
    ("count", "off"): "countoff",
    ("full", "song"): "fullsong",
    ("low", "end"): "lowend",
    ("power", "chords"): "powerchords",
    ("twelve", "string"): "12string",
    ("vox", "continental"): "continental",
    ("ob", "6"): "ob6",
    ("t", "1"): "tom",
    ("t", "2"): "tom",
    ("t", "3"): "tom",
    ("t", "4"): "tom",
    ("sub", "synth"): "synthbass",
    ("tom", "basse"): "floortom",
    ("tom", "base"): "floortom",
    ("field", "recording"): "fieldrecording",
    ("frame", "drum"): "framedrum",
    ("hang", "drum"): "hangdrum",
    ("pan", "flute"): "panflute",
    ("hurdy", "gurdy"): "hurdygurdy",
    ("jaw", "harp"): "jawharp",
    ("tin", "whistle"): "tinwhistle",
    ("penny", "whistle"): "pennywhistle",
    ("marching", "snare"): "snare",
    ("hand", "drum"): "framedrum",
    ("hand", "drums"): "framedrum",
    ("room", "tone"): "roomtone",
    ("roland", "td"): "rolandtd",
    ("band", "room"): "bandroom",
    ("log", "drum"): "logdrum",
    ("log", "drums"): "logdrum",
    ("talking", "drum"): "talkingdrum",
    ("e", "kit"): "ekit",
    ("efx", "cymbal"): "cymbal",
    ("fx", "cymbal"): "cymbal",
    ("spaced", "pair"): "spacedpair",
    ("e", "bow"): "ebow",
    ("honky", "tonk"): "honkytonk",
    ("lo", "fi"): "lofi",
    ("hi", "fi"): "lofi",
    ("orchestral", "hits"): "orchhit",
    ("orchestral", "hit"): "orchhit",
    ("orchestra", "hit"): "orchhit",
    ("orchestra", "hits"): "orchhit",
    ("orch", "hit"): "orchhit",
    ("orch", "hits"): "orchhit",
    ("radio", "edit"): "radioedit",
    ("impact", "xt"): "fpc",
    ("presence", "xt"): "presence",
    ("mai", "tai"): "maitai",
    ("ambience", "mics"): "room",
    ("ambience", "mic"): "room",
    ("ambient", "mics"): "room",
    ("ambient", "mic"): "room",
    ("cymbal", "swell"): "cymbalswell",
    ("cym", "swell"): "cymbalswell",
    ("crash", "swell"): "cymbalswell",
    ("build", "up"): "buildup",
    ("axe", "fx"): "axefx",
    ("scratch", "fx"): "scratches",
    ("backing", "track"): "backingtrack",
    ("voice", "over"): "vo",
    ("double", "basses"): "doublebasses",
    ("nord", "lead"): "synth",
    ("808", "bass"): "bass",
}


@dataclass(frozen=True)
class Word:
    """What one word says: a role and how specific it is (see the module docstring)."""

    role: str
    rank: float


def _parse(text: str) -> dict[str, Word]:
    words: dict[str, Word] = {}
    for line in text.strip().splitlines():
        head, _, body = line.partition(":")
        role, rank = head.split()
        for word in body.split():
            words.setdefault(_folded(word), Word(role, float(rank)))
    return words


#: Every role word, lower case, accents folded.
ROLE_WORDS: dict[str, Word] = _parse(_ROLE_WORDS)

#: Every word the segmenter may cut an unspaced name into (``leadvoxdbl``).
VOCABULARY: frozenset[str] = frozenset(
    set(ROLE_WORDS) | PERSON_NAMES | HARD_EXCLUDE | SOFT_EXCLUDE | BACKING_MODIFIERS | WEAK_BACKING_MODIFIERS
    | LEAD_MARKERS | FX_MODIFIERS | SYNTH_MODIFIERS | FILLERS | DAW_DEFAULT_WORDS
)

__all__ = [
    "BACKING_MODIFIERS",
    "DAW_DEFAULT_WORDS",
    "FILLERS",
    "FX_MODIFIERS",
    "HARD_EXCLUDE",
    "LEAD_MARKERS",
    "PAIRS",
    "PERSON_NAMES",
    "ROLE_WORDS",
    "SOFT_EXCLUDE",
    "SYNTH_MODIFIERS",
    "VOCABULARY",
    "WEAK_BACKING_MODIFIERS",
    "Word",
    "word_set",
]
