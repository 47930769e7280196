import Foundation
import Testing

@testable import Parquet

/// Files written by pyarrow 26 (parquet-cpp-arrow), kept as golden bytes so that `swift test`
/// alone covers the reader paths lake's own writer never produces: data page v2, RLE-encoded
/// booleans, PLAIN_DICTIONARY (format 1.0) and ConvertedType-only schemas. Made with
/// `pq.write_table(t, compression="zstd", data_page_version="2.0", row_group_size=16)` and
/// `pq.write_table(t, compression="none", version="1.0", row_group_size=16)` from the table
/// `PyarrowGolden.expected` describes.
enum PyarrowGolden {
    static let v2Zstd = decode(
        """
        UEFSMRUGFRQVFFwVIBUIFSAVBhUGFQASHBgBARgBABYIKAEBGAEAEREAAAAF3d0DAAAABRUKFQQVgAEVkgFMFSAV
        ABIAACi1L/0gQAECAAAAAAAY/P//oA8AANjc//+APgAAWJ7//6CMAACYQP//APoAAJjD/v+ghgEAWCf+/4AyAgDY
        a/3/oP0CABiR/P8VBhUUFRRcFSAVABUgFRAVABUAEhwYBKD9AgAYBBiR/P8WACgEoP0CABgEGJH8/xERAAAABAUQ
        MlR2mLrc/hUEFbABFcIBTBUWFQASAAAotS/9IFjBAgD7//////////sfSqnRAQAA+y/vfboCAAD7TzknjAQAAPtf
        3vt0BQAA+38opUYHAAD7j815LwgAAPuvFyMBCgAA+7+89+kKAAD73wahuwwAAPvvq3WkDQAAFQYVGhUaXBUgFQoV
        IBUQFQYVABIcGAj776t1pA0AABgI+/////////8WCigI+++rdaQNAAAYCPv/////////EREAAAAFbdsEBRAyVHaY
        CgAAFQQVaBV6TBUaFQASAAAotS/9IDShAQAAAAAAAACAPwAAwD8AAABAAAAgQAAAYEAAAIBAAACQQAAAoEAAAMBA
        AADQQAAA4EAAAPBAFQYVGhUaXBUgFQYVIBUQFQYVABIcGAQAAPBAGAQAAACAFgYoBAAA8EAYBAAAAIAREQAAAAW9
        9wQFEDJUdpi6DAAVBBWgARVqTBUUFQASAAAotS/9IFBlAQDIAACAANA/AARAAODoP/D0+D8AAAAAAAD8PwgAIAvI
        FwycmQw0B8SBqx2gDRUGFRQVFFwVIBUAFSAVEBUAFQASHBgIAAAAAAAABEAYCAAAAAAAAACAFgAoCAAAAAAAAARA
        GAgAAAAAAAAAgBERAAAABAUQMhQ1FjcYORUEFTgVSkwVCBUAEgAAKLUv/SAc4QAAAAAAAAYAAADml6XmnKwEAAAA
        8J+mhgIAAADDqRUGFRIVElwVIBUKFSAVEBUGFQASHDYKKATwn6aGGAAREQAAAAVt2wIF5LEkABUEFZwBFWxMFRoV
        ABIAACi1L/0gTm0BAOACAAAAAP8CAAAAAgMEBQYICQoLDA7/AgAAAA//CgQCQMABBgQcYEDAAZYyBxUGFRoVGlwV
        IBUGFSAVEBUGFQASHDYGKAIP/xgCAP8REQAAAAV93wQFEDJUdpi6DAAVBBWwARWUAUwVFhUAEgAAKLUv/SBYDQIA
        xAIAwK6Je0kGAIJEzcOG3EUL+4ZNCooI0ihJFDjLmFYM22WOX4TPoZOKe0kGAAkAQAa4AdoAMsANYAS0AWTsKl4V
        BhUaFRpcFSAVChUgFRAVBhUAEhwYCM+hk4p7SQYAGAgAwK6Je0kGABYKKAjPoZOKe0kGABgIAMCuiXtJBgAREQAA
        AAVt2wQFEDJUdpgKAAAVBhUQFRBcFRAVBBUQFQYVBBUAEhwYAQEYAQAWBCgBARgBABERAAAAA90CAAAAAwIVBBVA
        FVJMFRAVABIAACi1L/0gIAEBAADoAwAYl/v/oPEEANh9+v+AGgYAWEX5/6BiBwCY7ff/FQYVChUKXBUQFQAVEBUQ
        FQAVABIcGASgYgcAGASY7ff/FgAoBKBiBwAYBJjt9/8REQAAAAMDiMb6FQQVUBViTBUKFQASAAAotS/9IChBAQD7
        D/Yedg8AAPsfm/NeEAAA+z/lnDASAAD7T4pxGRMAAPtv1BrrFAAAFQYVDhUOXBUQFQYVEBUQFQQVABIcGAj7b9Qa
        6xQAABgI+w/2HnYPAAAWBigI+2/UGusUAAAYCPsP9h52DwAAEREAAAADtgMDiEYAFQQVMBVCTBUMFQASAAAotS/9
        IBjBAAAAAAhBAAAQQQAAGEEAACBBAAAwQQAAOEEVBhUOFQ5cFRAVBBUQFRAVBBUAEhwYBAAAOEEYBAAACEEWBCgE
        AAA4QRgEAAAIQRERAAAAA94DA4jGAhUEFVAVTEwVChUAEgAAKLUv/SAo7QAAiAAAQACAAAIEQAAAAAAAAAZABAAz
        U4CGAeIWYAEVBhUKFQpcFRAVABUQFRAVABUAEhwYCAAAAAAAAAZAGAgAAAAAAAAAgBYAKAgAAAAAAAAGQBgIAAAA
        AAAAAIAREQAAAAMDiLZwFQQVOBVKTBUIFQASAAAotS/9IBzhAAACAAAAw6kGAAAA5pel5pysAAAAAAQAAADwn6aG
        FQYVDBUMXBUQFQYVEBUQFQQVABIcNgYoBPCfpoYYABERAAAAA7YCAyQDFQQVVBVSTBUOFQASAAAotS/9ICoFAQCw
        AgAAABD/AgAAABESFBUW/wIAAAAX/wQEAkDAAZYyBxUGFQ4VDlwVEBUCFRAVEBUEFQASHDYCKAIX/xgCEP8REQAA
        AAP3AwOIxhoVBBVQFVZMFQoVABIAACi1L/0gKBUBAMhRJrKKe0kGAJJowRTt31Uv79ezDYt7SQYAAwQCYICx4gUV
        BhUOFQ5cFRAVBhUQFRAVBBUAEhwYCNezDYt7SQYAGAhRJrKKe0kGABYGKAjXsw2Le0kGABgIUSayintJBgAREQAA
        AAO2AwOIRgAVBBmcNQAYBnNjaGVtYRUQABUAJQIYAWIAFQIlABgDaTMyABUEJQIYA2k2NAAVCCUCGANmMzIAFQol
        ABgDZjY0ABUMJQIYAXMlAEwcAAAAFQwlAhgDYmluABUEJQIYAnRzJRRMjBEcLAAAAAAAFjAZLBmMJgAcFQAZFQYZ
        GAFiFQwWIBZkFmQmCDwYAQEYAQAWCCgBARgBABERABkcFQAVBhUCADwpBhkmCBgAAAAmABwVAhk1AAYQGRgDaTMy
        FQwWIBacAhauAiaeAiZsHBgEoP0CABgEGJH8/xYAKASg/QIAGAQYkfz/EREAGSwVBBUAFQIAFQAVEBUCAAAAJgAc
        FQQZNQAGEBkYA2k2NBUMFiAW8gIWhAMm/AQmmgMcGAj776t1pA0AABgI+/////////8WCigI+++rdaQNAAAYCPv/
        ////////EREAGSwVBBUAFQIAFQAVEBUCADwpBhkmChYAAAAmABwVCBk1AAYQGRgDZjMyFQwWIBaGAhaYAia0Byae
        BhwYBAAA8EAYBAAAAIAWBigEAADwQBgEAAAAgBERABksFQQVABUCABUAFRAVAgA8KQYZJgYaAAAAJgAcFQoZNQAG
        EBkYA2Y2NBUMFiAW2gIWpAImvgkmtggcGAgAAAAAAAAEQBgIAAAAAAAAAIAWACgIAAAAAAAABEAYCAAAAAAAAACA
        EREAGSwVBBUAFQIAFQAVEBUCAAAAJgAcFQwZNQAGEBkYAXMVDBYgFq4BFsABJsALJtoKHDYKKATwn6aGGAAREQAZ
        LBUEFQAVAgAVABUQFQIAPBZEGQYZJgoWAAAAJgAcFQwZNQAGEBkYA2JpbhUMFiAWnAIW7AEmpA0mmgwcNgYoAg//
        GAIA/xERABksFQQVABUCABUAFRAVAgA8FjQZBhkmBhoAAAAmABwVBBk1AAYQGRgCdHMVDBYgFvICFtYCJroPJoYO
        HBgIz6GTintJBgAYCADArol7SQYAFgooCM+hk4p7SQYAGAgAwK6Je0kGABERABksFQQVABUCABUAFRAVAgA8KQYZ
        JgoWAAAAFo4RFiAmCBbUEAAZjCYAHBUAGRUGGRgBYhUMFhAWYBZgJtwQPBgBARgBABYEKAEBGAEAEREAGRwVABUG
        FQIAPCkGGSYEDAAAACYAHBUCGTUABhAZGANpMzIVDBYQFs4BFuABJqoSJrwRHBgEoGIHABgEmO33/xYAKASgYgcA
        GASY7ff/EREAGSwVBBUAFQIAFQAVEBUCAAAAJgAcFQQZNQAGEBkYA2k2NBUMFhAWggIWlAImmhQmnBMcGAj7b9Qa
        6xQAABgI+w/2HnYPAAAWBigI+2/UGusUAAAYCPsP9h52DwAAEREAGSwVBBUAFQIAFQAVEBUCADwpBhkmBgoAAAAm
        ABwVCBk1AAYQGRgDZjMyFQwWEBbCARbUASaOFiawFRwYBAAAOEEYBAAACEEWBCgEAAA4QRgEAAAIQRERABksFQQV
        ABUCABUAFRAVAgA8KQYZJgQMAAAAJgAcFQoZNQAGEBkYA2Y2NBUMFhAW/gEW+gEm7BcmhBccGAgAAAAAAAAGQBgI
        AAAAAAAAAIAWACgIAAAAAAAABkAYCAAAAAAAAACAEREAGSwVBBUAFQIAFQAVEBUCAAAAJgAcFQwZNQAGEBkYAXMV
        DBYQFqgBFroBJuQZJv4YHDYGKATwn6aGGAAREQAZLBUEFQAVAgAVABUQFQIAPBYcGQYZJgYKAAAAJgAcFQwZNQAG
        EBkYA2JpbhUMFhAWxgEWxAEmphsmuBocNgIoAhf/GAIQ/xERABksFQQVABUCABUAFRAVAgA8FhwZBhkmAg4AAAAm
        ABwVBBk1AAYQGRgCdHMVDBYQFoICFogCJu4cJvwbHBgI17MNi3tJBgAYCFEmsop7SQYAFgYoCNezDYt7SQYAGAhR
        JrKKe0kGABERABksFQQVABUCABUAFRAVAgA8KQYZJgYKAAAAFuAMFhAm3BAWqA0AKCBwYXJxdWV0LWNwcC1hcnJv
        dyB2ZXJzaW9uIDI2LjAuMRmMHAAAHAAAHAAAHAAAHAAAHAAAHAAAHAAAABEGAABQQVIx
        """)

    static let v1Uncompressed = decode(
        """
        UEFSMRUAFRIVEiwVIBUAFQYVBhwYAQEYAQAWCCgBARgBABERAAAAAwAAAAXd3RUKFQQVgAEVgAFMFSAVBBIAAAAA
        AAAY/P//oA8AANjc//+APgAAWJ7//6CMAACYQP//APoAAJjD/v+ghgEAWCf+/4AyAgDYa/3/oP0CABiR/P8VABUU
        FRQsFSAVBBUGFQYcGASg/QIAGAQYkfz/FgAoBKD9AgAYBBiR/P8REQAAAAQFEDJUdpi63P4VBBWwARWwAUwVFhUE
        EgAA+//////////7H0qp0QEAAPsv7326AgAA+085J4wEAAD7X977dAUAAPt/KKVGBwAA+4/NeS8IAAD7rxcjAQoA
        APu/vPfpCgAA+98GobsMAAD776t1pA0AABUAFSIVIiwVIBUEFQYVBhwYCPvvq3WkDQAAGAj7/////////xYKKAj7
        76t1pA0AABgI+/////////8REQAAAAMAAAAFbdsEBRAyVHaYCgAAFQQVaBVoTBUaFQQSAAAAAAAAAACAPwAAwD8A
        AABAAAAgQAAAYEAAAIBAAACQQAAAoEAAAMBAAADQQAAA4EAAAPBAFQAVIhUiLBUgFQQVBhUGHBgEAADwQBgEAAAA
        gBYGKAQAAPBAGAQAAACAEREAAAADAAAABb33BAUQMlR2mLoMABUEFaABFaABTBUUFQQSAAAAAAAAAAAAAAAAAAAA
        AACAAAAAAAAA0D8AAAAAAAAEQAAAAAAAAOA/AAAAAAAA6D8AAAAAAADwPwAAAAAAAPQ/AAAAAAAA+D8AAAAAAAD8
        PxUAFRQVFCwVIBUEFQYVBhwYCAAAAAAAAARAGAgAAAAAAAAAgBYAKAgAAAAAAAAEQBgIAAAAAAAAAIAREQAAAAQF
        EDIUNRY3GDkVBBU4FThMFQgVBBIAAAAAAAAGAAAA5pel5pysBAAAAPCfpoYCAAAAw6kVABUaFRosFSAVBBUGFQYc
        NgooBPCfpoYYABERAAAAAwAAAAVt2wIF5LEkABUEFZwBFZwBTBUaFQQSAAACAAAAAP8CAAAAAv8CAAAAA/8CAAAA
        BP8CAAAABf8CAAAABv8CAAAACP8CAAAACf8CAAAACv8CAAAAC/8CAAAADP8CAAAADv8CAAAAD/8VABUiFSIsFSAV
        BBUGFQYcNgYoAg//GAIA/xERAAAAAwAAAAV93wQFEDJUdpi6DAAVBBWwARWwAUwVFhUEEgAAAMCuiXtJBgCCRM2J
        e0kGAMOG3Il7SQYARQv7iXtJBgCGTQqKe0kGAAjSKIp7SQYASRQ4intJBgDLmFaKe0kGAAzbZYp7SQYAjl+EintJ
        BgDPoZOKe0kGABUAFSIVIiwVIBUEFQYVBhwYCM+hk4p7SQYAGAgAwK6Je0kGABYKKAjPoZOKe0kGABgIAMCuiXtJ
        BgAREQAAAAMAAAAFbdsEBRAyVHaYCgAAFQAVDhUOLBUQFQAVBhUGHBgBARgBABYEKAEBGAEAEREAAAACAAAAA90C
        FQQVQBVATBUQFQQSAAAA6AMAGJf7/6DxBADYffr/gBoGAFhF+f+gYgcAmO33/xUAFQoVCiwVEBUEFQYVBhwYBKBi
        BwAYBJjt9/8WACgEoGIHABgEmO33/xERAAAAAwOIxvoVBBVQFVBMFQoVBBIAAPsP9h52DwAA+x+b814QAAD7P+Wc
        MBIAAPtPinEZEwAA+2/UGusUAAAVABUWFRYsFRAVBBUGFQYcGAj7b9Qa6xQAABgI+w/2HnYPAAAWBigI+2/UGusU
        AAAYCPsP9h52DwAAEREAAAACAAAAA7YDA4hGABUEFTAVMEwVDBUEEgAAAAAIQQAAEEEAABhBAAAgQQAAMEEAADhB
        FQAVFhUWLBUQFQQVBhUGHBgEAAA4QRgEAAAIQRYEKAQAADhBGAQAAAhBEREAAAACAAAAA94DA4jGAhUEFVAVUEwV
        ChUEEgAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAAJAAAAAAAAABEAAAAAAAAAGQBUAFQoVCiwVEBUEFQYVBhwYCAAA
        AAAAAAZAGAgAAAAAAAAAgBYAKAgAAAAAAAAGQBgIAAAAAAAAAIAREQAAAAMDiLZwFQQVOBU4TBUIFQQSAAACAAAA
        w6kGAAAA5pel5pysAAAAAAQAAADwn6aGFQAVFBUULBUQFQQVBhUGHDYGKATwn6aGGAAREQAAAAIAAAADtgIDJAMV
        BBVUFVRMFQ4VBBIAAAIAAAAQ/wIAAAAR/wIAAAAS/wIAAAAU/wIAAAAV/wIAAAAW/wIAAAAX/xUAFRYVFiwVEBUE
        FQYVBhw2AigCF/8YAhD/EREAAAACAAAAA/cDA4jGGhUEFVAVUEwVChUEEgAAUSayintJBgCSaMGKe0kGABTt34p7
        SQYAVS/vintJBgDXsw2Le0kGABUAFRYVFiwVEBUEFQYVBhwYCNezDYt7SQYAGAhRJrKKe0kGABYGKAjXsw2Le0kG
        ABgIUSayintJBgAREQAAAAIAAAADtgMDiEYAFQIZnDUAGAZzY2hlbWEVEAAVACUCGAFiABUCJQAYA2kzMgAVBCUC
        GANpNjQAFQglAhgDZjMyABUKJQAYA2Y2NAAVDCUCGAFzJQBMHAAAABUMJQIYA2JpbgAVBCUCGAJ0cyUUTIwRHCwA
        AAAAABYwGSwZjCYAHBUAGSUGABkYAWIVABYgFlgWWCYIPBgBARgBABYIKAEBGAEAEREAGRwVABUAFQIAPCkGGSYI
        GAAAACYAHBUCGSUEBhkYA2kzMhUAFiAWkgIWkgImgAImYBwYBKD9AgAYBBiR/P8WACgEoP0CABgEGJH8/xERABks
        FQQVBBUCABUAFQQVAgAAACYAHBUEGSUEBhkYA2k2NBUAFiAW8AIW8AImwgQm8gIcGAj776t1pA0AABgI+///////
        //8WCigI+++rdaQNAAAYCPv/////////EREAGSwVBBUEFQIAFQAVBBUCADwpBhkmChYAAAAmABwVCBklBAYZGANm
        MzIVABYgFoQCFoQCJuYGJuIFHBgEAADwQBgEAAAAgBYGKAQAAPBAGAQAAACAEREAGSwVBBUEFQIAFQAVBBUCADwp
        BhkmBhoAAAAmABwVChklBAYZGANmNjQVABYgFtICFtICJqYJJuYHHBgIAAAAAAAABEAYCAAAAAAAAACAFgAoCAAA
        AAAAAARAGAgAAAAAAAAAgBERABksFQQVBBUCABUAFQQVAgAAACYAHBUMGSUEBhkYAXMVABYgFqwBFqwBJowLJrgK
        HDYKKATwn6aGGAAREQAZLBUEFQQVAgAVABUEFQIAPBZEGQYZJgoWAAAAJgAcFQwZJQQGGRgDYmluFQAWIBacAhac
        AiagDSbkCxw2BigCD/8YAgD/EREAGSwVBBUEFQIAFQAVBBUCADwWNBkGGSYGGgAAACYAHBUEGSUEBhkYAnRzFQAW
        IBbwAhbwAibQDyaADhwYCM+hk4p7SQYAGAgAwK6Je0kGABYKKAjPoZOKe0kGABgIAMCuiXtJBgAREQAZLBUEFQQV
        AgAVABUEFQIAPCkGGSYKFgAAABboEBYgJggW6BAAGYwmABwVABklBgAZGAFiFQAWEBZUFlQm8BA8GAEBGAEAFgQo
        AQEYAQAREQAZHBUAFQAVAgA8KQYZJgQMAAAAJgAcFQIZJQQGGRgDaTMyFQAWEBbEARbEASagEibEERwYBKBiBwAY
        BJjt9/8WACgEoGIHABgEmO33/xERABksFQQVBBUCABUAFQQVAgAAACYAHBUEGSUEBhkYA2k2NBUAFhAWgAIWgAIm
        9BMmiBMcGAj7b9Qa6xQAABgI+w/2HnYPAAAWBigI+2/UGusUAAAYCPsP9h52DwAAEREAGSwVBBUEFQIAFQAVBBUC
        ADwpBhkmBgoAAAAmABwVCBklBAYZGANmMzIVABYQFsABFsABJtQVJogVHBgEAAA4QRgEAAAIQRYEKAQAADhBGAQA
        AAhBEREAGSwVBBUEFQIAFQAVBBUCADwpBhkmBAwAAAAmABwVChklBAYZGANmNjQVABYQFvQBFvQBJrQXJsgWHBgI
        AAAAAAAABkAYCAAAAAAAAACAFgAoCAAAAAAAAAZAGAgAAAAAAAAAgBERABksFQQVBBUCABUAFQQVAgAAACYAHBUM
        GSUEBhkYAXMVABYQFqYBFqYBJpAZJrwYHDYGKATwn6aGGAAREQAZLBUEFQQVAgAVABUEFQIAPBYcGQYZJgYKAAAA
        JgAcFQwZJQQGGRgDYmluFQAWEBbEARbEASbSGibiGRw2AigCF/8YAhD/EREAGSwVBBUEFQIAFQAVBBUCADwWHBkG
        GSYCDgAAACYAHBUEGSUEBhkYAnRzFQAWEBaAAhaAAiaSHCamGxwYCNezDYt7SQYAGAhRJrKKe0kGABYGKAjXsw2L
        e0kGABgIUSayintJBgAREQAZLBUEFQQVAgAVABUEFQIAPCkGGSYGCgAAABa2DBYQJvAQFrYMACggcGFycXVldC1j
        cHAtYXJyb3cgdmVyc2lvbiAyNi4wLjEZjBwAABwAABwAABwAABwAABwAABwAABwAAAAFBgAAUEFSMQ==
        """)

    static func decode(_ base64: String) -> [UInt8] {
        guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
            fatalError("golden file is not base64")
        }
        return Array(data)
    }

    static let rows = 24

    static let schema = Schema([
        Column("b", .boolean, nullable: true), Column("i32", .int32),
        Column("i64", .int64, nullable: true), Column("f32", .float, nullable: true),
        Column("f64", .double), .string("s", nullable: true),
        Column("bin", .byteArray, nullable: true), .timestamp("ts", nullable: true),
    ])

    /// The table pyarrow wrote, column by column.
    static let expected: [[Cell]] = (0..<schema.columns.count).map { c in
        (0..<rows).map { cell(column: c, row: $0) }
    }

    static func cell(column: Int, row i: Int) -> Cell {
        switch column {
        case 0: return i % 4 == 1 ? .null : .bool(i % 3 == 0)
        case 1: return .i32(Int32((i % 2 == 0 ? 1 : -1) * i * i * 1000))
        case 2: return i % 3 == 1 ? .null : .i64(Int64(i) * 1_000_000_000_000 - 5)
        case 3: return i % 5 == 1 ? .null : .float(Float(i) * 0.5)
        case 4:
            let odd: [Double] = [.nan, -0.0, .infinity, 2.5]
            return .double(i % 2 == 1 ? odd[i % 4] : Double(i) / 8)
        case 5: return i % 3 == 1 ? .null : .string(["", "é", "日本", "🦆"][i % 4])
        case 6: return i % 6 == 1 ? .null : .bytes([UInt8(i), 0xFF])
        default: return i % 3 == 1 ? .null : .i64(1_769_644_800_000_000 + Int64(i) * 1_000_001)
        }
    }
}

@Suite("Files written by pyarrow")
struct PyarrowGoldenTests {
    @Test(arguments: ["v2-zstd", "v1-uncompressed"])
    func readsPyarrowFile(name: String) throws {
        let dir = try TempDir()
        let path = dir.file(name + ".parquet")
        let bytes = name == "v2-zstd" ? PyarrowGolden.v2Zstd : PyarrowGolden.v1Uncompressed
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try ParquetReader(path: path)
        #expect(reader.schema == PyarrowGolden.schema)
        #expect(reader.metadata.rowGroups.map(\.rowCount) == [16, 8])
        #expect(reader.metadata.createdBy?.hasPrefix("parquet-cpp-arrow") == true)
        let table = try Table.read(path)
        for c in PyarrowGolden.expected.indices {
            #expect(
                table.columns[c] == PyarrowGolden.expected[c],
                "column \(PyarrowGolden.schema.columns[c].name)")
        }
        let codec: Codec = name == "v2-zstd" ? .zstd : .uncompressed
        for (g, range) in [0..<16, 16..<24].enumerated() {
            for c in PyarrowGolden.expected.indices {
                let chunk = reader.metadata.rowGroups[g].columns[c]
                #expect(chunk.codec == codec)
                let stored = try #require(chunk.statistics)
                #expect(
                    StatCells(stored) == StatCells.bruteForce(PyarrowGolden.expected[c][range]),
                    "row group \(g) column \(PyarrowGolden.schema.columns[c].name)")
            }
        }
        // Booleans are RLE-encoded in v2 pages and PLAIN in v1; the rest use dictionaries.
        let encodings = reader.metadata.rowGroups[0].columns.map(\.encodings)
        if name == "v2-zstd" {
            #expect(encodings[0] == [.rle])
            #expect(encodings.dropFirst().allSatisfy { $0.contains(.rleDictionary) })
        } else {
            #expect(encodings.dropFirst().allSatisfy { $0.contains(.plainDictionary) })
        }
    }

    /// pyarrow writes an empty table as one row group of 0 rows whose chunks have no pages:
    /// data_page_offset 0, total_compressed_size 0. That is a valid, empty file.
    @Test func emptyRowGroupWithoutPages() throws {
        let dir = try TempDir()
        let path = dir.file("empty-group.parquet")
        let schema = Schema([Column("i", .int64, nullable: true), .string("s")])
        let chunks = schema.columns.map {
            ColumnChunkMetadata(
                type: $0.type, encodings: [.plain, .rle], path: [$0.name], codec: .zstd,
                valueCount: 0, uncompressedBytes: 0, compressedBytes: 0, dataPageOffset: 0,
                dictionaryPageOffset: nil, statistics: nil)
        }
        let metadata = FileMetadata(
            version: 2, schema: schema, rowCount: 0,
            rowGroups: [RowGroupMetadata(columns: chunks, rowCount: 0, uncompressedBytes: 0)],
            keyValues: [], createdBy: "parquet-cpp-arrow version 26.0.1")
        let magic = Array("PAR1".utf8)
        try Data(FuzzTests.replaceFooter(of: magic + [0, 0, 0, 0] + magic, with: metadata))
            .write(to: URL(fileURLWithPath: path))

        let reader = try ParquetReader(path: path)
        #expect(reader.rowCount == 0)
        #expect(reader.metadata.rowGroups.count == 1)
        #expect(try reader.readColumn(rowGroup: 0, column: 1).rowCount == 0)
        let data = try reader.readAll()
        #expect(data.map(\.rowCount) == [0, 0])
        #expect(data.map(\.column) == schema.columns)
    }
}
