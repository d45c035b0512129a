package optiq.json

import scala.collection.immutable.ListMap
import scala.util.control.NoStackTrace

/** A JSON document: the value model shared by the parser and the encoders. */
enum Json:
  case Null
  case Bool(value: Boolean)
  case Num(value: BigDecimal)
  case Str(value: String)
  case Arr(items: Vector[Json])
  case Obj(fields: ListMap[String, Json])

  /** Looks up a field of an object; anything else has no fields. */
  def get(key: String): Option[Json] = this match
    case Obj(fields) => fields.get(key)
    case _           => None

  def render: String = Json.Printer.compact(this)
end Json

object Json:
  type Fields = ListMap[String, Json]

  val True: Json = Bool(true)
  val False: Json = Bool(false)

  def obj(fields: (String, Json)*): Json = Obj(ListMap(fields*))

  def parse(text: String): Either[ParseError, Json] =
    try Right(Parser(text).parseDocument())
    catch case e: ParseError => Left(e)

  /** Serialises values without any insignificant whitespace. */
  object Printer:
    def compact(json: Json): String =
      val sb = new StringBuilder
      write(json, sb)
      sb.result()

    private def write(json: Json, sb: StringBuilder): Unit = json match
      case Null    => sb ++= "null"
      case Bool(b) => sb ++= b.toString
      case Num(n)  => sb ++= n.bigDecimal.toPlainString
      case Str(s)  => writeString(s, sb)
      case Arr(items) => writeAll(items, sb, '[', ']')(write(_, sb))
      case Obj(fields) =>
        writeAll(fields, sb, '{', '}') { (k, v) =>
          writeString(k, sb)
          sb += ':'
          write(v, sb)
        }

    private def writeAll[A](items: Iterable[A], sb: StringBuilder, open: Char, close: Char)(each: A => Unit): Unit =
      sb += open
      items.zipWithIndex.foreach { (item, i) =>
        if i > 0 then sb += ','
        each(item)
      }
      sb += close

    private def writeString(s: String, sb: StringBuilder): Unit =
      sb += '"'
      s.foreach {
        case '"'  => sb ++= "\\\""
        case '\\' => sb ++= "\\\\"
        case '\n' => sb ++= "\\n"
        case '\t' => sb ++= "\\t"
        case c if c < ' ' => sb ++= f"\\u${c.toInt}%04x"
        case c => sb += c
      }
      sb += '"'
  end Printer
end Json

/** Raised by [[Parser]] with the offset where the input stopped making sense. */
final case class ParseError(message: String, offset: Int)
    extends Exception(s"$message at offset $offset")
    with NoStackTrace

/** A recursive-descent parser over a string, one instance per document. */
final class Parser(input: String, val maxDepth: Int = 512):
  private var pos = 0
  private var depth = 0

  def parseDocument(): Json =
    val value = parseValue()
    skipWhitespace()
    if pos != input.length then fail("trailing characters")
    value

  private def parseValue(): Json =
    skipWhitespace()
    if pos >= input.length then fail("unexpected end of input")
    input.charAt(pos) match
      case '{'                        => nested(parseObject())
      case '['                        => nested(parseArray())
      case '"'                        => Json.Str(parseString())
      case 't'                        => literal("true", Json.True)
      case 'f'                        => literal("false", Json.False)
      case 'n'                        => literal("null", Json.Null)
      case c if c == '-' || c.isDigit => parseNumber()
      case c                          => fail(s"unexpected character '$c'")

  private def nested(parse: => Json): Json =
    depth += 1
    if depth > maxDepth then fail("document nested too deeply")
    try parse
    finally depth -= 1

  private def parseObject(): Json =
    val fields = ListMap.newBuilder[String, Json]
    commaSeparated('{', '}') {
      skipWhitespace()
      val key = parseString()
      skipWhitespace()
      expect(':')
      fields += key -> parseValue()
    }
    Json.Obj(fields.result())

  private def parseArray(): Json =
    val items = Vector.newBuilder[Json]
    commaSeparated('[', ']')(items += parseValue())
    Json.Arr(items.result())

  private def commaSeparated(open: Char, close: Char)(item: => Unit): Unit =
    expect(open)
    skipWhitespace()
    if peek == close then pos += 1
    else
      var more = true
      while more do
        item
        skipWhitespace()
        more = peek == ','
        if more then pos += 1 else expect(close)

  private def parseString(): String =
    expect('"')
    val sb = new StringBuilder
    while peek != '"' do
      if pos >= input.length then fail("unterminated string")
      val c = input.charAt(pos)
      pos += 1
      if c != '\\' then sb += c
      else
        val esc = peek
        pos += 1
        if esc == 'u' then
          sb += Integer.parseInt(input.slice(pos, pos + 4), 16).toChar
          pos += 4
        else sb += Parser.Escapes.getOrElse(esc, fail(s"bad escape '\\$esc'"))
    pos += 1
    sb.result()

  private def parseNumber(): Json =
    val start = pos
    if peek == '-' then pos += 1
    while pos < input.length && "0123456789+-.eE".indexOf(input.charAt(pos)) >= 0 do pos += 1
    val text = input.substring(start, pos)
    try Json.Num(BigDecimal(text))
    catch case _: NumberFormatException => fail(s"bad number '$text'", start)

  private def literal(word: String, value: Json): Json =
    if !input.startsWith(word, pos) then fail(s"expected '$word'")
    pos += word.length
    value

  private def peek: Char = if pos < input.length then input.charAt(pos) else '\u0000'

  private def expect(c: Char): Unit =
    if peek != c then fail(s"expected '$c'")
    pos += 1

  private def skipWhitespace(): Unit =
    while pos < input.length && Character.isWhitespace(input.charAt(pos)) do pos += 1

  private def fail(message: String): Nothing = fail(message, pos)
  private def fail(message: String, at: Int): Nothing = throw ParseError(message, at)
end Parser

object Parser:
  private val Escapes: Map[Char, Char] =
    Map('"' -> '"', '\\' -> '\\', '/' -> '/', 'b' -> '\b', 'f' -> '\f', 'n' -> '\n', 'r' -> '\r', 't' -> '\t')

/** Turns a Scala value into JSON. */
trait Encoder[A]:
  def encode(value: A): Json

object Encoder:
  def apply[A](using enc: Encoder[A]): Encoder[A] = enc

  given Encoder[String] = Json.Str(_)
  given Encoder[Boolean] = Json.Bool(_)
  given intEncoder: Encoder[Int] = n => Json.Num(BigDecimal(n))

  given optionEncoder[A](using enc: Encoder[A]): Encoder[Option[A]] with
    def encode(value: Option[A]): Json = value.fold(Json.Null)(enc.encode)

  given listEncoder[A: Encoder]: Encoder[List[A]] = list => Json.Arr(list.map(_.toJson).toVector)
end Encoder

extension [A](value: A)(using enc: Encoder[A])
  def toJson: Json = enc.encode(value)
  def toJsonString: String = enc.encode(value).render

extension (json: Json)
  def apply(key: String): Json = json.get(key).getOrElse(Json.Null)

  def asString: Option[String] = json match
    case Json.Str(s) => Some(s)
    case _           => None
