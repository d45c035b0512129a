package com.acme
package cache

import java.util.concurrent.locks.ReentrantLock
import scala.collection.mutable
import scala.concurrent.duration._
import scala.util.Try

/** Counters a cache keeps about its own use. */
final case class CacheStats(hits: Long, misses: Long, evictions: Long) {
  def requests: Long = hits + misses
  def hitRate: Double = if (requests == 0) 1.0 else hits.toDouble / requests
}

object CacheStats {
  val Empty: CacheStats = CacheStats(0, 0, 0)
}

sealed trait EvictionPolicy

object EvictionPolicy {
  case object LeastRecentlyUsed extends EvictionPolicy
  case object FirstInFirstOut extends EvictionPolicy
  final case class TimeToLive(ttl: FiniteDuration) extends EvictionPolicy

  def fromString(s: String): Option[EvictionPolicy] = s.trim.toLowerCase match {
    case "lru"  => Some(LeastRecentlyUsed)
    case "fifo" => Some(FirstInFirstOut)
    case ttl if ttl.startsWith("ttl:") =>
      Try(Duration(ttl.stripPrefix("ttl:"))).toOption.collect { case d: FiniteDuration => TimeToLive(d) }
    case _ => None
  }
}

trait Cache[K, V] {
  def get(key: K): Option[V]
  def put(key: K, value: V): Unit
  def remove(key: K): Option[V]
  def size: Int
  def stats: CacheStats
}

/** A bounded map that drops the least recently used entry when full. */
class LruCache[K, V](val capacity: Int, policy: EvictionPolicy = EvictionPolicy.LeastRecentlyUsed)(implicit
    clock: Clock
) extends Cache[K, V] {
  require(capacity > 0, s"capacity must be positive, got $capacity")

  private final class Node(val key: K, var value: V, var stamp: Long) {
    var prev: Node = _
    var next: Node = _
  }

  private[this] val lock = new ReentrantLock()
  private[this] val index = mutable.HashMap.empty[K, Node]
  private[this] var head: Node = _
  private[this] var tail: Node = _
  @volatile private var counters = CacheStats.Empty

  def get(key: K): Option[V] = locked {
    index.get(key) match {
      case Some(node) if !expired(node) =>
        if (policy != EvictionPolicy.FirstInFirstOut) moveToFront(node)
        counters = counters.copy(hits = counters.hits + 1)
        Some(node.value)
      case _ =>
        counters = counters.copy(misses = counters.misses + 1)
        None
    }
  }

  def put(key: K, value: V): Unit = locked {
    index.get(key) match {
      case Some(node) =>
        node.value = value
        node.stamp = clock.nanos()
        moveToFront(node)
      case None =>
        val node = new Node(key, value, clock.nanos())
        index.update(key, node)
        pushFront(node)
        if (index.size > capacity) evict()
    }
  }

  def remove(key: K): Option[V] = locked {
    index.remove(key).map { node =>
      unlink(node)
      node.value
    }
  }

  def size: Int = locked(index.size)

  def stats: CacheStats = counters

  private def expired(node: Node): Boolean = policy match {
    case EvictionPolicy.TimeToLive(ttl) => clock.nanos() - node.stamp > ttl.toNanos
    case _                              => false
  }

  private def evict(): Unit = if (tail != null) {
    val last = tail
    unlink(last)
    index.remove(last.key)
    counters = counters.copy(evictions = counters.evictions + 1)
  }

  private def pushFront(node: Node): Unit = {
    node.prev = null
    node.next = head
    if (head != null) head.prev = node
    head = node
    if (tail == null) tail = node
  }

  private def unlink(node: Node): Unit = {
    if (node.prev != null) node.prev.next = node.next else head = node.next
    if (node.next != null) node.next.prev = node.prev else tail = node.prev
    node.prev = null
    node.next = null
  }

  private def moveToFront(node: Node): Unit = if (head ne node) {
    unlink(node)
    pushFront(node)
  }

  @inline private def locked[A](body: => A): A = {
    lock.lock()
    try body
    finally lock.unlock()
  }
}

object LruCache {
  def apply[K, V](capacity: Int)(implicit clock: Clock): LruCache[K, V] =
    new LruCache[K, V](capacity)

  def apply[K, V](config: CacheConfig)(implicit clock: Clock): LruCache[K, V] =
    new LruCache[K, V](config.capacity, config.policy)
}

trait Clock {
  def nanos(): Long
}

object Clock {
  implicit val system: Clock = new Clock {
    def nanos(): Long = System.nanoTime()
  }
}

final case class CacheConfig(name: String, capacity: Int, policy: EvictionPolicy, warmOnStart: Boolean = false)

object CacheConfig {
  type Settings = Map[String, String]

  final val Prefix = "cache."
  val DefaultCapacity = 1024

  sealed abstract class ConfigError(val message: String) extends Product with Serializable
  final case class Invalid(key: String, value: String) extends ConfigError(s"invalid value '$value' for $key")

  def load(name: String, settings: Settings): Either[ConfigError, CacheConfig] = {
    val prefix = s"$Prefix$name."
    def setting(key: String): Option[String] = settings.get(prefix + key).map(_.trim).filter(_.nonEmpty)

    for {
      capacity <- setting("capacity") match {
        case None    => Right(DefaultCapacity)
        case Some(v) => v.toIntOption.filter(_ > 0).toRight(Invalid(prefix + "capacity", v))
      }
      policy <- setting("policy") match {
        case None    => Right(EvictionPolicy.LeastRecentlyUsed)
        case Some(v) => EvictionPolicy.fromString(v).toRight(Invalid(prefix + "policy", v))
      }
      warm = setting("warm").flatMap(_.toBooleanOption).getOrElse(false)
    } yield CacheConfig(name, capacity, policy, warm)
  }

  def names(settings: Settings): Set[String] =
    settings.keysIterator.collect {
      case k if k.startsWith(Prefix) => k.stripPrefix(Prefix).takeWhile(_ != '.')
    }.toSet
}
