package io.lakeshard.traces.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.sampling.SamplingPolicy.AttributeScope;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepAttribute;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepErrors;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepLargeTraces;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepPercentage;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepSlow;
import io.lakeshard.traces.sampling.SamplingPolicy.SlowScope;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class SamplingDefinitionTest {
    private static final List<SamplingPolicy> ERRORS = List.of(new KeepErrors());
    private static final TraceId ID = new TraceId("5b8efff7980381030000000000000001");

    @Test
    void defaultsAreFiveMinutesAndAnHour() {
        SamplerDefinition sampler = SamplerDefinition.of("checkout_errors", ERRORS);
        assertEquals(Duration.ofMinutes(5), sampler.inactivity());
        assertEquals(Duration.ofHours(1), sampler.maxTraceDuration());
        assertEquals(ERRORS, sampler.policies());
    }

    @Test
    void samplerFieldsAreNamedWithWhatWasExpected() {
        assertInvalid("name: expected 1 to 63 of a-z, 0-9 and '_', starting with a letter, got 'Checkout'",
                () -> SamplerDefinition.of("Checkout", ERRORS));
        assertInvalid("name: expected 1 to 63 of a-z, 0-9 and '_', starting with a letter, got ''",
                () -> SamplerDefinition.of("", ERRORS));
        assertInvalid("inactivity: expected a duration of more than 0, got PT0S",
                () -> SamplerDefinition.of("s", ERRORS).withInactivity(Duration.ZERO));
        assertInvalid("inactivity: expected a duration of more than 0, got PT-1S",
                () -> SamplerDefinition.of("s", ERRORS).withInactivity(Duration.ofSeconds(-1)));
        assertInvalid("max_trace_duration: expected at least the inactivity (PT5M), got PT1M",
                () -> SamplerDefinition.of("s", ERRORS).withMaxTraceDuration(Duration.ofMinutes(1)));
        assertInvalid("max_trace_duration: expected at most PT24H, got PT48H",
                () -> SamplerDefinition.of("s", ERRORS).withMaxTraceDuration(Duration.ofDays(2)));
        assertInvalid("policies: expected at least one policy, got none (the sampler would keep nothing)",
                () -> SamplerDefinition.of("s", List.of()));
        assertInvalid("policies: expected at most 32 policies, got 33",
                () -> SamplerDefinition.of("s", LongStream.range(0, 33)
                        .<SamplingPolicy>mapToObj(KeepLargeTraces::new).toList()));
        assertInvalid("policies[2]: the same policy as policies[0] (slow_span>2s)",
                () -> SamplerDefinition.of("s", List.of(new KeepSlow(Duration.ofSeconds(2), SlowScope.SPAN),
                        new KeepSlow(Duration.ofSeconds(2), SlowScope.TRACE),
                        new KeepSlow(Duration.ofSeconds(2), SlowScope.SPAN))));
    }

    @Test
    void policyFieldsAreNamedUnderThePolicysPlaceInTheRequest() {
        assertInvalid("policies[2].percent: expected 0 to 100, got 140", () -> KeepPercentage.of(140, "policies[2]"));
        assertInvalid("policies[2].percent: expected 0 to 100, got -0.5", () -> KeepPercentage.of(-0.5, "policies[2]"));
        assertInvalid("policies[0].percent: expected 0 to 100, got NaN", () -> KeepPercentage.of(Double.NaN, "policies[0]"));
        assertInvalid("percent: expected 0 to 100, got 100.5", () -> new KeepPercentage(100.5));
        assertInvalid("policies[1].threshold: expected a duration of 0 or more, got PT-0.001S",
                () -> KeepSlow.of(Duration.ofMillis(-1), SlowScope.SPAN, "policies[1]"));
        assertInvalid("threshold: expected at most PT2562047H47M16.854775807S, got PT2562047H47M16.854775808S",
                () -> new KeepSlow(Duration.ofNanos(Long.MAX_VALUE).plusNanos(1), SlowScope.TRACE));
        assertInvalid("policies[3].threshold: expected a span count of 0 or more, got -1", () -> KeepLargeTraces.of(-1, "policies[3]"));
        assertInvalid("policies[4].key: expected an attribute key, got an empty one",
                () -> KeepAttribute.of(AttributeScope.SPAN, "", "x", "policies[4]"));
        assertInvalid("policies[4].value: must not contain the character U+0000",
                () -> KeepAttribute.of(AttributeScope.RESOURCE, "k", "a\0b", "policies[4]"));
        assertInvalid("key: must not contain the character U+0000", () -> new KeepAttribute(AttributeScope.SPAN, "a\0", "b"));
    }

    @Test
    void namesCarryTheParametersSoThatADecisionSaysWhichPolicy() {
        assertEquals(List.of("errors", "slow_span>2s", "slow_trace>250ms", "slow_trace>90s", "slow_span>1h", "slow_span>1500us",
                        "slow_span>0ns", "large_trace>100", "span_attribute:http.route=/checkout",
                        "resource_attribute:deployment.environment=canary", "percentage:10", "percentage:0.5", "percentage:100",
                        "percentage:0"),
                List.<SamplingPolicy>of(new KeepErrors(), new KeepSlow(Duration.ofSeconds(2), SlowScope.SPAN),
                        new KeepSlow(Duration.ofMillis(250), SlowScope.TRACE),
                        new KeepSlow(Duration.ofSeconds(90), SlowScope.TRACE),
                        new KeepSlow(Duration.ofMinutes(60), SlowScope.SPAN),
                        new KeepSlow(Duration.ofNanos(1_500_000), SlowScope.SPAN),
                        new KeepSlow(Duration.ZERO, SlowScope.SPAN),
                        new KeepLargeTraces(100),
                        new KeepAttribute(AttributeScope.SPAN, "http.route", "/checkout"),
                        new KeepAttribute(AttributeScope.RESOURCE, "deployment.environment", "canary"),
                        new KeepPercentage(10), new KeepPercentage(0.5), new KeepPercentage(100), new KeepPercentage(0))
                        .stream().map(SamplingPolicy::name).toList());
    }

    @Test
    void theFirstPolicyThatKeepsDecidesAndThresholdsMustBeExceeded() {
        SamplerDefinition sampler = SamplerDefinition.of("s", List.of(
                new KeepErrors(),
                new KeepSlow(Duration.ofSeconds(2), SlowScope.SPAN),
                new KeepSlow(Duration.ofSeconds(30), SlowScope.TRACE),
                new KeepLargeTraces(20),
                new KeepAttribute(AttributeScope.SPAN, "http.route", "/checkout"),
                new KeepPercentage(0)));
        Decider decider = new Decider(sampler);
        assertEquals(Decision.kept(ID, new KeepErrors()),
                decider.decide(candidate(21, true, Duration.ofSeconds(3), Duration.ofSeconds(40), Set.of(4))));
        assertEquals(new Decision(ID, true, Optional.of("slow_span>2s")),
                decider.decide(candidate(21, false, Duration.ofSeconds(3), Duration.ofSeconds(40), Set.of(4))));
        assertEquals(new Decision(ID, true, Optional.of("slow_trace>30s")),
                decider.decide(candidate(21, false, Duration.ofSeconds(2), Duration.ofSeconds(40), Set.of(4))));
        assertEquals(new Decision(ID, true, Optional.of("large_trace>20")),
                decider.decide(candidate(21, false, Duration.ofSeconds(2), Duration.ofSeconds(30), Set.of(4))));
        assertEquals(new Decision(ID, true, Optional.of("span_attribute:http.route=/checkout")),
                decider.decide(candidate(20, false, Duration.ofSeconds(2), Duration.ofSeconds(30), Set.of(4))));
        assertEquals(Decision.dropped(ID), decider.decide(candidate(20, false, Duration.ofSeconds(2), Duration.ofSeconds(30), Set.of())));
        IllegalArgumentException wrongSampler = assertThrows(IllegalArgumentException.class,
                () -> decider.decide(candidate(1, false, Duration.ZERO, Duration.ZERO, Set.of(3))));
        assertEquals("candidate 5b8efff7980381030000000000000001 matched policies[3], which is not an attribute policy of sampler s",
                wrongSampler.getMessage());
    }

    @Test
    void aDecisionKeepsWithAPolicyOrDropsWithNone() {
        assertThrows(IllegalArgumentException.class, () -> new Decision(ID, true, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new Decision(ID, false, Optional.of("errors")));
    }

    @Test
    void readyAtTheEarlierOfQuietAndOld() {
        SamplerDefinition sampler = SamplerDefinition.of("s", ERRORS);
        Instant start = Instant.parse("2026-03-10T11:00:00Z");
        Candidate quiet = new Candidate(ID, 1, false, Duration.ZERO, Duration.ZERO, start, start.plusSeconds(60), Set.of());
        assertEquals(Instant.parse("2026-03-10T11:06:00Z"), quiet.readyAt(sampler));
        Candidate busy = new Candidate(ID, 1, false, Duration.ZERO, Duration.ZERO, start, start.plusSeconds(3590), Set.of());
        assertEquals(Instant.parse("2026-03-10T12:00:00Z"), busy.readyAt(sampler));
    }

    private static Candidate candidate(long spans, boolean error, Duration maxSpan, Duration trace, Set<Integer> attributes) {
        Instant start = Instant.parse("2026-03-10T11:00:00Z");
        return new Candidate(ID, spans, error, maxSpan, trace, start, start.plusSeconds(1), attributes);
    }

    private static void assertInvalid(String message, Executable executable) {
        InvalidInputException e = assertThrows(InvalidInputException.class, executable);
        assertEquals(message, e.getMessage());
    }
}
