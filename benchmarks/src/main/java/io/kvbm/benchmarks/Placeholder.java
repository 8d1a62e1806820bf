package io.kvbm.benchmarks;

final class Placeholder {}
