package io.lakeshard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.service.LakeshardService;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerSettingsTest {
    @Test
    void theTransportOutlastsTheLongestDefaultWait() {
        Config shipped = config("");
        assertEquals(8080, ServerSettings.from(shipped).port());
        assertTrue(shipped.getDuration("akka.http.server.idle-timeout")
                        .compareTo(shipped.getDuration("lakeshard.server.default-maintenance-timeout")) > 0,
                "maintenance on demand is not cut by the connection's idle timeout");

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> ServerSettings.from(config("akka.http.server.idle-timeout = 60s")));
        assertTrue(refused.getMessage().startsWith("akka.http.server.idle-timeout: expected longer than "
                + "lakeshard.server.default-maintenance-timeout"), refused.getMessage());
        assertEquals(Duration.ofMinutes(10), config("lakeshard.server.default-maintenance-timeout = 8m")
                .getDuration("akka.http.server.idle-timeout"));
        ServerSettings.from(config("akka.http.server.idle-timeout = infinite"));
    }

    private static Config config(String overrides) {
        return LakeshardService.config(ConfigFactory.parseString(overrides), ConfigFactory.parseResourcesAnySyntax("lakeshard-server"));
    }
}
