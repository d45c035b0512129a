package store

// RankVersion exposes rankVersion to tests.
const RankVersion = rankVersion
